// Progressive enhancement of the import page: follows the check or import without reloading
// the page every two seconds, then shows the result. Without JavaScript the page refreshes itself.
const panel = document.getElementById('import-progress')
if (panel) {
  const bar = document.getElementById('import-progress-bar')
  const text = document.getElementById('import-progress-text')
  const number = (n) => n.toLocaleString('en-GB')
  const poll = async () => {
    try {
      const response = await fetch(panel.dataset.statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      if (!response.ok) throw new Error(String(response.status))
      const status = await response.json()
      if (!status.working) return window.location.reload()
      if (bar && status.percent !== null) bar.value = status.percent
      if (text && status.status === 'checking')
        text.textContent = `Checked ${number(status.processedRows)} of ${number(status.totalRows)} rows.`
    } catch {
      // A network blip: try again at the next tick.
    }
    setTimeout(poll, 1000)
  }
  setTimeout(poll, 1000)
}
