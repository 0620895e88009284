// "Download pprof" and the `go tool pprof` command that fetches the same data, shown
// under every view. The download goes through fetch (so a bearer token is sent) into a
// Blob; the command uses the server's URL as the browser sees it.

import { fetchOk, token } from "./api";
import { h } from "./dom";

export function apiUrl(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `${location.origin}${path}${query ? `?${query}` : ""}`;
}

// A shell word: single quotes, with embedded single quotes closed and escaped.
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

export function pprofBar(options: { download: string; filename: string; command: string; note?: string }): HTMLElement {
  const status = h("span", { class: "status", "aria-live": "polite" });
  const download = h("button", { type: "button", "data-action": "download-pprof" }, "Download pprof");
  download.addEventListener("click", () => void save(options.download, options.filename, status));
  const command = h("code", { class: "command", "data-command": "go-tool-pprof" }, options.command);
  const copy = h("button", { type: "button", class: "small" }, "Copy");
  copy.addEventListener("click", () => {
    // navigator.clipboard exists only in secure contexts (https, loopback).
    if (!navigator.clipboard) {
      selectText(command);
      status.textContent = "selected: copy with Ctrl+C";
      return;
    }
    navigator.clipboard.writeText(options.command).then(
      () => (status.textContent = "copied"),
      () => selectText(command),
    );
  });
  return h("div", { class: "pprof-bar" }, download, " ", command, " ", copy, " ", status,
    options.note ? h("div", { class: "note" }, options.note) : null);
}

async function save(url: string, filename: string, status: HTMLElement): Promise<void> {
  status.textContent = "downloading…";
  try {
    const blob = await (await fetchOk(url)).blob();
    const link = h("a", { href: URL.createObjectURL(blob), download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status.textContent = `saved ${filename} (${blob.size} bytes)`;
  } catch (e) {
    status.textContent = `download failed: ${(e as Error).message}`;
  }
}

function selectText(element: Element): void {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}

// A note for servers that need tokens: go tool pprof cannot send one.
export function tokenNote(): string | undefined {
  return token() ? "This server needs a bearer token, which go tool pprof cannot send: download the file instead." : undefined;
}
