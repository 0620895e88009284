// Number and time formatting shared by the views.

// RFC 3339 with up to nanoseconds ("2026-11-22T00:56:08.420112554Z") → milliseconds since
// the epoch; null for null or empty.
export function parseTime(value: string | null | undefined): number | null {
  if (!value) return null;
  let text = value.trim().replace(/(\.\d{3})\d+/, "$1");
  // Without a zone the server reads UTC (Date.parse would read local time).
  if (/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += "Z";
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

// 0.0032 → "3.2ms", 2.1 → "2.1s", 125 → "2m5s"; "-" when unknown (null or negative).
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds < 0) return "-";
  if (seconds === 0) return "0s";
  if (seconds < 1) return `${round(seconds * 1000)}ms`;
  if (seconds < 59.5) return `${round(seconds)}s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${whole - minutes * 60}s`;
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

// A sample value in its pprof unit: nanoseconds as time, bytes with binary prefixes,
// counts with k/M suffixes.
export function formatValue(value: number, unit: string): string {
  const v = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  switch (unit) {
    case "nanoseconds":
      return sign + formatSeconds(v / 1e9);
    case "microseconds":
      return sign + formatSeconds(v / 1e6);
    case "milliseconds":
      return sign + formatSeconds(v / 1e3);
    case "seconds":
      return sign + formatSeconds(v);
    case "bytes": {
      const units = ["B", "KiB", "MiB", "GiB", "TiB"];
      let k = 0;
      let x = v;
      while (x >= 1024 && k < units.length - 1) {
        x /= 1024;
        k++;
      }
      return `${sign}${k === 0 ? x.toFixed(0) : round(x)}${units[k]}`;
    }
    default:
      if (v >= 1e9) return `${sign}${round(v / 1e9)}G`;
      if (v >= 1e6) return `${sign}${round(v / 1e6)}M`;
      if (v >= 1e4) return `${sign}${round(v / 1e3)}k`;
      return sign + (Number.isInteger(v) ? String(v) : round(v));
  }
}

// part / whole as "12.3%"; "-" when the whole is 0.
export function percent(part: number, whole: number): string {
  if (!whole) return "-";
  const p = (100 * part) / whole;
  return `${Math.abs(p) >= 10 ? p.toFixed(1) : p.toFixed(2)}%`;
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000,
};

// The API's time syntax on the client (to size timeline buckets): "now", "now-1h",
// "-30m", RFC 3339, unix seconds or milliseconds. null when it cannot be read.
export function resolveTime(value: string, now = Date.now()): number | null {
  const text = value.trim();
  if (text === "" || text === "now") return now;
  const rel = /^(now\s*)?([-+])\s*((?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|w))+)$/.exec(text);
  if (rel && (rel[1] || rel[2] === "-")) {
    let total = 0;
    for (const part of rel[3].matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d|w)/g)) total += Number(part[1]) * UNIT_MS[part[2]];
    return rel[2] === "-" ? now - total : now + total;
  }
  // Unix time as the server reads it: 13 or more digits are milliseconds.
  if (/^\d+(\.\d+)?$/.test(text)) {
    const whole = text.split(".")[0];
    return whole.length >= 13 ? Number(text) : Number(text) * 1000;
  }
  return parseTime(text);
}

// Milliseconds since the epoch → RFC 3339 in UTC, to the millisecond.
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
