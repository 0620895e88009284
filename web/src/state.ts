// The view state lives in the page's query string, so every URL is shareable and the
// browser's back and forward buttons move between views: "/?view=rollout&id=shop:checkout:4:5b1c9e02".

export type ViewState = Record<string, string>;

export function currentState(): ViewState {
  return Object.fromEntries(new URLSearchParams(location.search));
}

export function hrefFor(state: ViewState): string {
  const query = new URLSearchParams(state).toString();
  return query ? `/?${query}` : "/";
}

// Moves to `state` without reloading the page; `onChange` listeners render it.
export function navigate(state: ViewState): void {
  history.pushState(null, "", hrefFor(state));
  for (const listener of listeners) listener(state);
}

const listeners: Array<(state: ViewState) => void> = [];

export function onStateChange(listener: (state: ViewState) => void): void {
  listeners.push(listener);
  window.addEventListener("popstate", () => listener(currentState()));
}

// Records a change the view has already drawn (a zoom, a search, a sort) in the URL,
// without rendering again: the URL stays shareable and no data is fetched twice.
export function patchState(changes: Record<string, string | undefined>): void {
  const state = currentState();
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") delete state[key];
    else state[key] = value;
  }
  history.replaceState(null, "", hrefFor(state));
}
