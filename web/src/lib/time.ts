// Dates and times are shown in Asia/Shanghai whatever the browser's zone. Each formatter is
// made on first use: building an Intl formatter costs milliseconds of ICU set-up, and a page
// that shows no clock should not pay for one before its first rows.
const ZONE = 'Asia/Shanghai';

function lazy(locale: string, options: Intl.DateTimeFormatOptions): () => Intl.DateTimeFormat {
  let made: Intl.DateTimeFormat | undefined;
  return () => (made ??= new Intl.DateTimeFormat(locale, { timeZone: ZONE, ...options }));
}

const dateTime = lazy('zh-CN', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const clock = lazy('zh-CN', { hour: '2-digit', minute: '2-digit', hour12: false });
const clockSeconds = lazy('zh-CN', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const day = lazy('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime().format(new Date(iso)) : '—';
}
export function formatClock(at: Date | string): string {
  return clock().format(typeof at === 'string' ? new Date(at) : at);
}
export function formatClockSeconds(at: Date | string): string {
  return clockSeconds().format(typeof at === 'string' ? new Date(at) : at);
}
/** Today's date in Shanghai as YYYY-MM-DD (the API's Date scalar). */
export function shanghaiToday(offsetDays = 0): string {
  return day().format(new Date(Date.now() + offsetDays * 86_400_000));
}
