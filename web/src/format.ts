// Number and time formatting shared by the views.

// RFC 3339 with up to nanoseconds ("2026-11-22T00:56:08.420112554Z") → milliseconds since
// the epoch; null for null or empty.
export function parseTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? null : ms;
}

// 0.0032 → "3.2ms", 2.1 → "2.1s", 125 → "2m5s"; "-" when unknown (null or negative).
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds < 0) return "-";
  if (seconds === 0) return "0s";
  if (seconds < 1) return `${round(seconds * 1000)}ms`;
  if (seconds < 60) return `${round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${Math.round(seconds - minutes * 60)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

function round(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toPrecision(2);
}

// Local date and time to the second: "2026-11-22 00:56:08".
export function formatTime(value: string | null | undefined): string {
  const ms = parseTime(value);
  if (ms === null) return "-";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
