// Progressive enhancement only: every page works without this file.
import { initAll } from '/assets/nhsuk-frontend.js'
import { initAutosave } from '/static/js/autosave.js'

initAll()
initAutosave()
