// Suggestions as a person types in a search box with data-suggest (progressive enhancement over
// /services/suggestions, which works as a page without JavaScript): a short list of links under
// the box, announced politely, reached with Tab like any other link.
const DELAY_MS = 200;

for (const input of document.querySelectorAll('input[data-suggest]')) {
  const endpoint = input.dataset.suggest;
  const status = document.createElement('div');
  status.className = 'nhsuk-u-visually-hidden';
  status.setAttribute('role', 'status');
  const list = document.createElement('ul');
  list.className = 'nhsuk-list signpost-suggestions';
  list.id = `${input.id}-suggestions`;
  list.hidden = true;
  list.setAttribute('aria-label', 'Suggestions');
  input.after(list);
  input.after(status);

  let timer;
  let latest = 0;
  const show = (suggestions) => {
    list.replaceChildren(
      ...suggestions.map((s) => {
        const item = document.createElement('li');
        const link = document.createElement('a');
        link.href = s.href;
        link.textContent = s.text;
        item.append(link);
        if (s.kind === 'need') item.append(' (services that help with this)');
        return item;
      }),
    );
    list.hidden = suggestions.length === 0;
    status.textContent = suggestions.length
      ? `${suggestions.length} suggestion${suggestions.length === 1 ? '' : 's'} below the search box`
      : '';
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const words = input.value.trim();
    if (words.length < 2) {
      show([]);
      return;
    }
    timer = setTimeout(async () => {
      const asked = ++latest;
      try {
        const response = await fetch(`${endpoint}.json?q=${encodeURIComponent(words)}`, { headers: { accept: 'application/json' } });
        if (!response.ok || asked !== latest) return;
        show((await response.json()).suggestions);
      } catch {
        // Suggestions are a help, not a need: the search itself still works.
      }
    }, DELAY_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') show([]);
  });
}
