// The app shell: top navigation, and the view named by the URL's query string rendered
// into <main>. Views are async functions from the view state to a DOM node; errors they
// throw (ApiError from the server's JSON errors) are shown in place of the view. A node
// with data-refresh="MS" is rendered again after MS milliseconds unless the view changed.

import { ApiError, errorNotice, setToken, token } from "./api";
import { renderDiff } from "./diff";
import { h } from "./dom";
import { renderExplore } from "./explore";
import { renderRolloutDetail, renderRolloutList } from "./rollouts";
import { currentState, hrefFor, navigate, onStateChange, type ViewState } from "./state";

type View = (state: ViewState) => Promise<Node>;

const TABS = [
  { view: "explore", label: "Explore" },
  { view: "diff", label: "Diff" },
  { view: "rollouts", label: "Rollouts" },
];

const VIEWS: Record<string, { tab: string; render: View }> = {
  explore: { tab: "explore", render: renderExplore },
  diff: { tab: "diff", render: renderDiff },
  rollouts: { tab: "rollouts", render: renderRolloutList },
  rollout: { tab: "rollouts", render: renderRolloutDetail },
};
const DEFAULT_VIEW = "explore";

function renderNav(active: string): void {
  const nav = document.getElementById("nav")!;
  nav.replaceChildren(
    ...TABS.map((t) =>
      h("a", { href: hrefFor({ view: t.view }), class: t.view === active ? "active" : undefined }, t.label)),
  );
}

function tokenForm(message: string): Node {
  const input = h("input", { type: "password", name: "token", placeholder: "bearer token", autocomplete: "off" });
  const form = h("form", { class: "token" },
    h("p", {}, message),
    h("label", {}, "Token ", input), " ", h("button", { type: "submit" }, "Use token"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(input.value.trim() || null);
    void render(currentState());
  });
  return form;
}

function errorBox(error: unknown): Node {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    if (error.status === 401 && token()) setToken(null);
    return tokenForm(`This server needs a token: ${error.message}`);
  }
  return errorNotice(error);
}

let generation = 0;

async function render(state: ViewState): Promise<void> {
  const name = state.view && VIEWS[state.view] ? state.view : DEFAULT_VIEW;
  const view = VIEWS[name];
  renderNav(view.tab);
  const main = document.getElementById("view")!;
  const mine = ++generation;
  main.dataset.view = name;
  main.dataset.state = "loading";
  let content: Node;
  try {
    content = await view.render(state);
  } catch (error) {
    content = errorBox(error);
  }
  if (mine !== generation) return;  // a newer navigation won
  main.replaceChildren(content);
  main.dataset.state = "ready";
  // A view showing something still changing (a running rollout) asks to be redrawn.
  const refresh = content instanceof HTMLElement ? Number(content.dataset.refresh) : 0;
  if (refresh > 0) {
    const again = () => {
      if (mine !== generation) return;
      // Not while the user is typing in one of the view's forms: try again later.
      if (document.activeElement?.closest("main form")) setTimeout(again, refresh);
      else void render(state);
    };
    setTimeout(again, refresh);
  }
}

// Same-origin links to "/?…" are handled in the page, without a reload.
document.addEventListener("click", (e) => {
  const link = (e.target as Element).closest("a");
  if (!link || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname !== "/") return;
  e.preventDefault();
  navigate(Object.fromEntries(url.searchParams));
});

onStateChange((state) => void render(state));
void render(currentState());
