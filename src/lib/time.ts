// Dates shown to people are in UTC with the zone named, so a writer and a reader in different
// places see the same unambiguous time; the browser refines writer-facing times where it can.
const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});
const date = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

export function formatDateTime(ms: number): string {
  return `${dateTime.format(ms)} UTC`;
}

export function formatDate(ms: number): string {
  return date.format(ms);
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
