// Read an iCalendar document on stdin with ical.js and print what it understood, as JSON.
// Strict: any parse error exits non-zero.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const calendar = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: component.getFirstPropertyValue("status"),
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate ? event.endDate.toJSDate().toISOString() : null,
    isDate: event.startDate.isDate,
    startTzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    dtstamp: component.getFirstPropertyValue("dtstamp").toString(),
    lastModified: String(component.getFirstPropertyValue("last-modified")),
    url: component.getFirstPropertyValue("url"),
    geo: component.getFirstPropertyValue("geo"),
  };
});
console.log(JSON.stringify({
  calname: calendar.getFirstPropertyValue("x-wr-calname"),
  version: calendar.getFirstPropertyValue("version"),
  timezones: calendar.getAllSubcomponents("vtimezone").map((tz) =>
    tz.getFirstPropertyValue("tzid")),
  events,
}));
