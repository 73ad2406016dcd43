import type { BarChart, ChangeChart, Chart } from './model'
import { colours, type } from './theme'
import './pdfkitTypes'

/**
 * Vector charts drawn with pdfkit's own drawing operators. Each function draws inside a box
 * the renderer gives it; chartHeight says how tall that box must be, so the renderer can keep a
 * chart on one page. The renderer tags the whole drawing as a Figure with alternative text;
 * the labels drawn here are for sighted readers.
 */

export interface Box {
  x: number
  y: number
  width: number
}

const rowHeight = 22
const barThickness = 12
const axisHeight = 18
const footHeight = 18
const labelWidth = 150
const valueWidth = 78

/** A change chart's legend: one line for each of its two markers. */
const legendHeight = 30

export function chartHeight(chart: Chart): number {
  if (chart.type === 'bars') return axisHeight + chart.bars.length * rowHeight + footHeight
  return axisHeight + chart.rows.length * rowHeight + legendHeight
}

function plotArea(box: Box) {
  const x0 = box.x + labelWidth + 8
  const x1 = box.x + box.width - valueWidth
  return { x0, x1 }
}

function scaleX(scale: { min: number; max: number }, area: { x0: number; x1: number }) {
  return (value: number) => area.x0 + ((value - scale.min) / (scale.max - scale.min)) * (area.x1 - area.x0)
}

/** Row labels, clipped to two lines so a long name never runs into the plot. */
function rowLabel(doc: PDFKit.PDFDocument, text: string, box: Box, y: number) {
  doc.font('regular').fontSize(type.chart).fillColor(colours.text)
  const height = Math.min(doc.heightOfString(text, { width: labelWidth }), rowHeight)
  doc.text(text, box.x, y + (rowHeight - height) / 2, { width: labelWidth, height: rowHeight, ellipsis: true })
}

function axis(
  doc: PDFKit.PDFDocument,
  ticks: Array<{ value: number; label: string }>,
  x: (v: number) => number,
  top: number,
  bottom: number,
) {
  doc.save().lineWidth(0.5).strokeColor(colours.rule)
  for (const tick of ticks)
    doc
      .moveTo(x(tick.value), top + axisHeight - 2)
      .lineTo(x(tick.value), bottom)
      .stroke()
  doc.restore()
  doc
    .font('regular')
    .fontSize(type.chart - 0.5)
    .fillColor(colours.secondaryText)
  for (const tick of ticks) {
    const width = doc.widthOfString(tick.label)
    doc.text(tick.label, x(tick.value) - width / 2, top + 2, { lineBreak: false })
  }
}

export function drawBarChart(doc: PDFKit.PDFDocument, chart: BarChart, box: Box): void {
  const area = plotArea(box)
  const x = scaleX(chart.scale, area)
  const top = box.y
  const bottom = top + axisHeight + chart.bars.length * rowHeight
  axis(doc, chart.scale.ticks, x, top, bottom)
  chart.bars.forEach((bar, i) => {
    const y = top + axisHeight + i * rowHeight
    rowLabel(doc, bar.label, box, y)
    const barY = y + (rowHeight - barThickness) / 2
    let end = area.x0
    if (bar.value !== null) {
      end = x(bar.value)
      doc
        .save()
        .rect(area.x0, barY, Math.max(end - area.x0, 1.5), barThickness)
        .fill(colours.nhsBlue)
        .restore()
    }
    doc.font('semibold').fontSize(type.chart).fillColor(colours.text)
    doc.text(bar.valueLabel, end + 4, y + (rowHeight - doc.currentLineHeight()) / 2, { lineBreak: false })
  })
  doc
    .save()
    .lineWidth(0.75)
    .strokeColor(colours.text)
    .moveTo(area.x0, top + axisHeight - 2)
    .lineTo(area.x0, bottom)
    .stroke()
    .restore()
  if (chart.threshold) {
    const tx = x(chart.threshold.value)
    doc
      .save()
      .lineWidth(1.25)
      .dash(3, { space: 2 })
      .strokeColor(colours.text)
      .moveTo(tx, top + axisHeight - 2)
      .lineTo(tx, bottom + 4)
      .stroke()
      .undash()
      .restore()
    doc
      .font('regular')
      .fontSize(type.chart - 0.5)
      .fillColor(colours.text)
    const width = doc.widthOfString(chart.threshold.label)
    doc.text(chart.threshold.label, Math.min(tx - width / 2, box.x + box.width - width), bottom + 5, { lineBreak: false })
  }
}

/** Before (hollow circle) and after (filled circle) on one scale, joined by a line: shape, not colour, tells them apart. */
export function drawChangeChart(doc: PDFKit.PDFDocument, chart: ChangeChart, box: Box): void {
  const area = plotArea(box)
  const x = scaleX(chart.scale, area)
  const top = box.y
  const bottom = top + axisHeight + chart.rows.length * rowHeight
  axis(doc, chart.scale.ticks, x, top, bottom)
  chart.rows.forEach((row, i) => {
    const y = top + axisHeight + i * rowHeight
    const mid = y + rowHeight / 2
    rowLabel(doc, row.label, box, y)
    if (row.before !== null && row.after !== null) {
      doc.save().lineWidth(2).strokeColor(colours.secondaryText).moveTo(x(row.before), mid).lineTo(x(row.after), mid).stroke().restore()
    }
    // The filled marker is smaller, so where nothing changed the ring still shows around it.
    if (row.before !== null) doc.save().lineWidth(1.5).circle(x(row.before), mid, 5).fillAndStroke('#ffffff', colours.text).restore()
    if (row.after !== null) doc.save().circle(x(row.after), mid, 3.5).fill(colours.nhsBlue).restore()
  })
  // Legend under the plot, one marker a line, drawn with the same shapes.
  const labelX = area.x0 + 12
  const legendWidth = box.x + box.width - labelX
  const beforeY = bottom + 9
  const afterY = bottom + 23
  doc
    .save()
    .lineWidth(1.5)
    .circle(area.x0 + 4, beforeY, 4.5)
    .fillAndStroke('#ffffff', colours.text)
    .restore()
  doc
    .save()
    .circle(area.x0 + 4, afterY, 3.5)
    .fill(colours.nhsBlue)
    .restore()
  doc
    .font('regular')
    .fontSize(type.chart - 0.5)
    .fillColor(colours.text)
  doc.text(chart.beforeLabel, labelX, beforeY - 5, { width: legendWidth, height: 12, ellipsis: true, lineBreak: false })
  doc.text(chart.afterLabel, labelX, afterY - 5, { width: legendWidth, height: 12, ellipsis: true, lineBreak: false })
}

export function drawChart(doc: PDFKit.PDFDocument, chart: Chart, box: Box): void {
  if (chart.type === 'bars') drawBarChart(doc, chart, box)
  else drawChangeChart(doc, chart, box)
}
