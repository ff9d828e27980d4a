// Dates and times are shown in Asia/Shanghai whatever the browser's zone.
const ZONE = 'Asia/Shanghai';
const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const clock = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false });
const clockSeconds = new Intl.DateTimeFormat('zh-CN', {
  timeZone: ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const day = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}
export function formatClock(at: Date | string): string {
  return clock.format(typeof at === 'string' ? new Date(at) : at);
}
export function formatClockSeconds(at: Date | string): string {
  return clockSeconds.format(typeof at === 'string' ? new Date(at) : at);
}
/** Today's date in Shanghai as YYYY-MM-DD (the API's Date scalar). */
export function shanghaiToday(offsetDays = 0): string {
  return day.format(new Date(Date.now() + offsetDays * 86_400_000));
}
