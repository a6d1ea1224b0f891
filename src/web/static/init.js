import { initAll } from '/assets/nhsuk-frontend.min.js';

initAll();

// On a phone a wide table scrolls sideways by itself (signpost.css); keyboard users need to be
// able to focus it to scroll it. Only tables that do scroll take focus.
function focusableWhenScrolling() {
  for (const table of document.querySelectorAll('table.nhsuk-table')) {
    if (table.scrollWidth > table.clientWidth + 1) table.setAttribute('tabindex', '0');
    else table.removeAttribute('tabindex');
  }
}
focusableWhenScrolling();
window.addEventListener('resize', focusableWhenScrolling);
