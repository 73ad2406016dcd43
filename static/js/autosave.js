// Autosave for question pages: saves shortly after typing stops and says so politely to
// screen readers. Without JavaScript the page's own buttons save; this only adds to them.
const delayMs = 1500

function enhance(form) {
  const status = form.querySelector('[data-save-status]')
  let timer
  let saving = false
  let again = false
  /** The autosave in flight, if any: a button press waits for it, so the page's versions are current. */
  let inflight = null

  const say = (text) => {
    if (status) status.textContent = text
  }

  function save() {
    if (saving) {
      again = true
      return inflight
    }
    saving = true
    inflight = send().finally(() => {
      inflight = null
    })
    return inflight
  }

  async function send() {
    const data = new URLSearchParams(new FormData(form))
    data.set('action', 'save')
    try {
      // Not form.action: the form's buttons are named "action", and form.action would be them.
      const response = await fetch(form.getAttribute('action'), {
        method: 'POST',
        body: data,
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      })
      if (response.ok) {
        const result = await response.json()
        for (const [code, version] of Object.entries(result.versions)) {
          const versionInput = form.querySelector(`input[name="version-${code}"]`)
          if (versionInput) versionInput.value = String(version)
          const baseInput = form.querySelector(`input[name="base-${code}"]`)
          if (baseInput) baseInput.value = result.bases[code]
        }
        say(`Saved at ${result.savedAtText.split(' at ')[1]}`)
      } else if (response.status === 401 || response.status === 403 || response.status === 409 || response.status === 303) {
        // Signed out, closed or changed by a colleague: post the form the ordinary way, so the
        // server keeps what was typed and shows the right page (sign in, or both versions).
        form.requestSubmit(form.querySelector('button[value="save-and-return"]'))
      } else {
        const result = await response.json().catch(() => ({}))
        say(`Not saved: ${(result.error && result.error.message) || 'there was a problem'}. Use the Save button.`)
      }
    } catch {
      say('Not saved: check your connection. Your typing is still on this page.')
    } finally {
      saving = false
      if (again) {
        again = false
        schedule()
      }
    }
  }

  function schedule() {
    clearTimeout(timer)
    timer = setTimeout(save, delayMs)
  }

  form.addEventListener('input', schedule)
  form.addEventListener('change', schedule)
  form.addEventListener('submit', (event) => {
    clearTimeout(timer)
    if (!inflight) return
    // Submitting while an autosave is on its way would send the versions from before it, and
    // look like a colleague's change. Wait for it, then submit with the versions it returned.
    event.preventDefault()
    const submitter = event.submitter
    inflight.then(() => form.requestSubmit(submitter))
  })
}

export function initAutosave(root = document) {
  root.querySelectorAll('form[data-autosave]').forEach(enhance)
}
