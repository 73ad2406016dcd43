// Draws the dashboard's charts with chart.js (loaded before this module, from our own origin).
// Progressive enhancement only: every figure is also in the table under its chart, and the page
// is complete without JavaScript. The figures travel in a <script type="application/json"> block,
// so no inline script is needed and the Content Security Policy stays strict.

const ink = '#212b32'
const grid = '#d8dde0'

function readCharts() {
  const block = document.getElementById('dashboard-chart-data')
  if (!block) return []
  try {
    return JSON.parse(block.textContent || '[]')
  } catch {
    return []
  }
}

/** The axis for levels: whole steps, each labelled with its name ("3 Maturing"). */
function valueScale(chart) {
  const names = chart.scale.names || {}
  return {
    min: chart.scale.min,
    max: chart.scale.max,
    ticks: {
      stepSize: chart.scale.step,
      color: ink,
      callback: (value) => (names[value] ? `${value} ${names[value]}` : chart.scale.suffix ? `${value}${chart.scale.suffix}` : value),
    },
    title: { display: Boolean(chart.scale.title), text: chart.scale.title, color: ink },
    grid: { color: grid },
  }
}

// Lines that lie on top of each other stay told apart by their points' shapes and their dashes,
// not by colour alone.
const pointStyles = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot']
const dashes = [[], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4], [1, 2]]

function configFor(chart) {
  const datasets = chart.datasets.map((d, i) => ({
    label: d.label,
    data: d.data,
    backgroundColor: chart.type === 'radar' || chart.type === 'line' ? `${d.colour}33` : d.colour,
    borderColor: d.colour,
    borderWidth: 2,
    borderDash: d.dashed ? [6, 4] : chart.type === 'line' ? dashes[i % dashes.length] : [],
    pointStyle: pointStyles[i % pointStyles.length],
    pointRadius: chart.type === 'bar' ? 0 : 5,
    fill: chart.type === 'radar',
    spanGaps: true,
  }))
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: {
      legend: { position: 'bottom', labels: { color: ink, usePointStyle: chart.type !== 'bar' } },
      tooltip: { enabled: true },
    },
  }
  if (chart.type === 'radar') {
    const scale = valueScale(chart)
    options.scales = {
      r: {
        min: scale.min,
        max: scale.max,
        ticks: { ...scale.ticks, backdropColor: 'transparent' },
        pointLabels: { color: ink },
        grid: { color: grid },
      },
    }
  } else {
    const category = { ticks: { color: ink, autoSkip: false }, grid: { display: false }, stacked: Boolean(chart.stacked) }
    const value = { ...valueScale(chart), stacked: Boolean(chart.stacked) }
    options.indexAxis = chart.horizontal ? 'y' : 'x'
    options.scales = chart.horizontal ? { x: value, y: category } : { x: category, y: value }
  }
  return { type: chart.type, data: { labels: chart.labels, datasets }, options }
}

export function drawCharts() {
  const Chart = window.Chart
  if (!Chart) return
  Chart.defaults.font.family = 'Arial, sans-serif'
  Chart.defaults.color = ink
  for (const chart of readCharts()) {
    const canvas = document.querySelector(`canvas[data-chart="${chart.id}"]`)
    if (!canvas) continue
    // Shown before drawing: chart.js sizes the chart to its visible container.
    canvas.closest('.placeready-chart')?.classList.add('placeready-chart--drawn')
    new Chart(canvas, configFor(chart))
  }
}

drawCharts()
