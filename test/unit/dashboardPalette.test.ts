import fs from 'node:fs'
import path from 'node:path'
import { contrastRatio, darkText, gapColour, heatClass, levelColours, lightText, relativeLuminance } from '../../server/dashboard/palette'

/** The heatmap's colours as the stylesheet draws them: class -> { background, color }. */
function heatStyles(): Map<string, { background: string; color: string }> {
  const css = fs.readFileSync(path.resolve(__dirname, '../../static/css/app.css'), 'utf8')
  const styles = new Map<string, { background: string; color: string }>()
  for (const match of css.matchAll(/\.(placeready-heat--(?:\d|none)) \{([^}]*)\}/g)) {
    const body = match[2]!
    styles.set(match[1]!, {
      background: /background: (#[0-9a-f]{6})/.exec(body)![1]!,
      color: /color: (#[0-9a-f]{6})/.exec(body)![1]!,
    })
  }
  return styles
}

describe('the heatmap palette', () => {
  it('computes WCAG contrast as the guidelines define it', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1)
    expect(contrastRatio('#005eb8', '#ffffff')).toBeCloseTo(6.4, 1)
    expect(relativeLuminance('#808080')).toBeCloseTo(0.2159, 3)
  })

  it('darkens with every level, so the scale reads in order', () => {
    const luminances = levelColours(4).map((c) => relativeLuminance(c.fill))
    expect([...luminances].sort((a, b) => b - a)).toEqual(luminances)
    expect(new Set(luminances).size).toBe(4)
  })

  it('has text of at least 4.5:1 on every fill, and every fill at least 3:1 against the white gap between cells', () => {
    for (const colour of levelColours(4)) {
      expect(contrastRatio(colour.fill, colour.text)).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio(colour.fill, gapColour)).toBeGreaterThanOrEqual(3)
      expect([darkText, lightText]).toContain(colour.text)
    }
  })

  it('is the palette the stylesheet draws, class by class', () => {
    const styles = heatStyles()
    for (const colour of levelColours(4)) {
      expect(styles.get(heatClass(colour.level, 4))).toEqual({ background: colour.fill, color: colour.text })
    }
    expect(styles.get(heatClass(null, 4))).toEqual({ background: '#ffffff', color: darkText })
  })

  it('keeps the highest level darkest for frameworks with fewer levels', () => {
    expect(heatClass(3, 3)).toBe('placeready-heat--4')
    expect(heatClass(1, 3)).toBe('placeready-heat--2')
    expect(levelColours(3).map((c) => c.fill)).toEqual(
      levelColours(4)
        .slice(1)
        .map((c) => c.fill),
    )
  })
})
