// The weekly schedule as a grid of 15-minute slots x 7 days, and its conversion to and from
// the VIAS TaskSchedule (domain/schedules.py): drag to paint, keyboard operable.
import { html, useEffect, useRef, useState } from '../lib.js';
import { t } from '../i18n.js';

export const SLOTS_PER_DAY = 96;
const SLOT_MINUTES = 15;
const DAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function emptySlots() {
  return DAY_KEYS.map(() => new Array(SLOTS_PER_DAY).fill(false));
}

function clock(slot) {
  const minutes = (slot * SLOT_MINUTES) % (24 * 60);
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${hh}:${mm}:00`;
}

export function slotLabel(slot) {
  return clock(slot).slice(0, 5);
}

// The painted slots as a VIAS weekly schedule, or null when nothing is painted.
// days_of_week lists the painted days (1 = Monday), periods[i] the windows of
// days_of_week[i]: one window per run of consecutive slots, [begin, end). A run that
// reaches midnight ends at 00:00:00 (end <= begin crosses midnight; a whole day is
// 00:00:00-00:00:00, begin == end being 24 hours), so the windows are exactly the slots.
export function toSchedule(slots, timezone) {
  const days = [];
  const periods = [];
  slots.forEach((day, index) => {
    const windows = [];
    let start = -1;
    for (let slot = 0; slot <= SLOTS_PER_DAY; slot += 1) {
      const on = slot < SLOTS_PER_DAY && day[slot];
      if (on && start < 0) start = slot;
      if (!on && start >= 0) {
        windows.push({ begin_at: clock(start), end_at: clock(slot) });
        start = -1;
      }
    }
    if (windows.length) {
      days.push(index + 1);
      periods.push(windows);
    }
  });
  if (!days.length) return null;
  return { type: 'weekly', timezone, days_of_week: days, periods };
}

function seconds(text) {
  const match = /(\d{2}):(\d{2}):(\d{2})$/.exec(text ?? '');
  if (!match) return null;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

// A stored schedule as slots: { slots, timezone, approximated } (approximated: a window did
// not start or end on a 15-minute boundary and was widened to the slots it touches). The
// part of a window after midnight is painted on the next day (Sunday wraps to Monday).
export function fromSchedule(schedule) {
  const slots = emptySlots();
  let approximated = false;
  if (!schedule || schedule.type !== 'weekly') return { slots, timezone: schedule?.timezone ?? null, approximated: Boolean(schedule) };
  const days = schedule.days_of_week ?? [];
  const periods = schedule.periods ?? [];
  days.forEach((day, index) => {
    const windows = periods.length === 1 ? periods[0] : periods[index] ?? [];
    for (const window of windows) {
      const begin = seconds(window.begin_at);
      const end = seconds(window.end_at);
      if (begin === null || end === null) {
        approximated = true;
        continue;
      }
      const slotSeconds = SLOT_MINUTES * 60;
      if (begin % slotSeconds || end % slotSeconds) approximated = true;
      const first = Math.floor(begin / slotSeconds);
      let last = Math.ceil(end / slotSeconds);
      if (end <= begin) last += SLOTS_PER_DAY;
      for (let slot = first; slot < last; slot += 1) {
        const dayIndex = (day - 1 + Math.floor(slot / SLOTS_PER_DAY)) % 7;
        slots[dayIndex][slot % SLOTS_PER_DAY] = true;
      }
    }
  });
  return { slots, timezone: schedule.timezone ?? null, approximated };
}

// 'Monday 08:00–10:00, Wednesday 22:00–24:00' for a schedule made by toSchedule.
export function describeSchedule(schedule) {
  return schedule.days_of_week
    .map((day, i) => {
      const windows = (schedule.periods.length === 1 ? schedule.periods[0] : schedule.periods[i]) ?? [];
      const shown = windows.map((w) => `${w.begin_at.slice(-8, -3)}–${w.end_at.slice(-8, -3) === '00:00' ? '24:00' : w.end_at.slice(-8, -3)}`);
      return `${t(`schedule.day.${DAY_KEYS[day - 1]}`)} ${shown.join(', ')}`;
    })
    .join('; ');
}

export function countSlots(slots) {
  return slots.reduce((sum, day) => sum + day.filter(Boolean).length, 0);
}

function paintRect(base, from, to, value) {
  const [d0, d1] = [Math.min(from.day, to.day), Math.max(from.day, to.day)];
  const [s0, s1] = [Math.min(from.slot, to.slot), Math.max(from.slot, to.slot)];
  return base.map((day, d) => (d < d0 || d > d1 ? day : day.map((on, s) => (s >= s0 && s <= s1 ? value : on))));
}

function useNarrow(query = '(max-width: 800px)') {
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const changed = () => setNarrow(list.matches);
    list.addEventListener('change', changed);
    return () => list.removeEventListener('change', changed);
  }, [query]);
  return narrow;
}

// props: slots (7 x 96 booleans), onChange(slots). Wide screens show days as rows and time
// across; narrow ones days as columns and time down, so a phone shows every day at once.
export default function ScheduleGrid({ slots, onChange }) {
  const narrow = useNarrow();
  const [focus, setFocus] = useState({ day: 0, slot: 32 });
  const dragRef = useRef(null);
  const gridRef = useRef(null);
  const dayNames = DAY_KEYS.map((key) => t(`schedule.day.${key}`));
  const dayShort = DAY_KEYS.map((key) => t(`schedule.dayShort.${key}`));

  const cellFrom = (event) => {
    const element = document.elementFromPoint(event.clientX, event.clientY)?.closest?.('[data-slot]');
    if (!element || !gridRef.current?.contains(element)) return null;
    return { day: Number(element.dataset.day), slot: Number(element.dataset.slot) };
  };
  const onPointerDown = (event) => {
    if (event.button > 0) return;
    const cell = cellFrom(event);
    if (!cell) return;
    event.preventDefault();
    gridRef.current.setPointerCapture?.(event.pointerId);
    const value = !slots[cell.day][cell.slot];
    dragRef.current = { from: cell, base: slots, value };
    setFocus(cell);
    onChange(paintRect(slots, cell, cell, value));
  };
  const onPointerMove = (event) => {
    const drag = dragRef.current;
    if (!drag) return;
    const cell = cellFrom(event);
    if (!cell) return;
    setFocus(cell);
    onChange(paintRect(drag.base, drag.from, cell, drag.value));
  };
  const onPointerUp = () => {
    dragRef.current = null;
  };

  // Arrows move (Shift+arrows paint the cells passed over with the value of the first),
  // Space or Enter toggles, Home/End go to the start or end of the day, Page Up/Down move
  // an hour.
  const onKeyDown = (event) => {
    const along = narrow ? { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] } : { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const moves = { ...along, PageUp: [0, -4], PageDown: [0, 4] };
    let next = null;
    if (moves[event.key]) {
      const [dd, ds] = moves[event.key];
      next = { day: Math.min(6, Math.max(0, focus.day + dd)), slot: Math.min(SLOTS_PER_DAY - 1, Math.max(0, focus.slot + ds)) };
    } else if (event.key === 'Home') next = { day: focus.day, slot: 0 };
    else if (event.key === 'End') next = { day: focus.day, slot: SLOTS_PER_DAY - 1 };
    else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      onChange(paintRect(slots, focus, focus, !slots[focus.day][focus.slot]));
      return;
    } else return;
    event.preventDefault();
    if (event.shiftKey) onChange(paintRect(slots, focus, next, slots[focus.day][focus.slot]));
    setFocus(next);
  };
  useEffect(() => {
    const active = document.activeElement;
    if (gridRef.current?.contains(active) && active.dataset.slot !== undefined) {
      gridRef.current.querySelector(`[data-day="${focus.day}"][data-slot="${focus.slot}"]`)?.focus();
    }
  }, [focus.day, focus.slot, narrow]);

  const cell = (day, slot) => {
    const on = slots[day][slot];
    const focused = focus.day === day && focus.slot === slot;
    return html`
      <div
        key=${`${day}-${slot}`}
        role="gridcell"
        class=${`slot ${on ? 'on' : ''} ${slot % 4 === 0 ? 'hour' : ''}`}
        data-day=${day}
        data-slot=${slot}
        aria-selected=${on ? 'true' : 'false'}
        aria-label=${t('schedule.cellLabel', { day: dayNames[day], from: slotLabel(slot), to: slotLabel(slot + 1) })}
        tabindex=${focused ? 0 : -1}
        onFocus=${() => (focused ? null : setFocus({ day, slot }))}
      ></div>
    `;
  };

  const hours = Array.from({ length: 24 }, (_, hour) => hour);
  const rows = narrow
    ? html`
        <div role="row" class="schedule-row">
          <div role="columnheader" class="schedule-corner"></div>
          ${dayShort.map((name, day) => html`<div role="columnheader" key=${day} class="schedule-day" title=${dayNames[day]}>${name}</div>`)}
        </div>
        ${Array.from({ length: SLOTS_PER_DAY }, (_, slot) => html`
          <div role="row" class="schedule-row" key=${slot}>
            <div role="rowheader" class=${`schedule-time ${slot % 4 === 0 ? 'hour' : ''}`}>${slot % 4 === 0 ? slotLabel(slot) : ''}</div>
            ${dayNames.map((_, day) => cell(day, slot))}
          </div>
        `)}
      `
    : html`
        <div role="row" class="schedule-row">
          <div role="columnheader" class="schedule-corner"></div>
          ${hours.map((hour) => html`<div role="columnheader" key=${hour} class="schedule-hour">${String(hour).padStart(2, '0')}</div>`)}
        </div>
        ${dayNames.map(
          (name, day) => html`
            <div role="row" class="schedule-row" key=${day}>
              <div role="rowheader" class="schedule-day">${name}</div>
              ${Array.from({ length: SLOTS_PER_DAY }, (_, slot) => cell(day, slot))}
            </div>
          `,
        )}
      `;

  return html`
    <div class="schedule">
      <p class="field-hint" id="schedule-help">${t('schedule.help')}</p>
      <div class="schedule-scroll">
        <div
          ref=${gridRef}
          role="grid"
          aria-label=${t('schedule.gridLabel')}
          aria-describedby="schedule-help"
          aria-multiselectable="true"
          class=${`schedule-grid ${narrow ? 'vertical' : 'horizontal'}`}
          data-testid="schedule-grid"
          onPointerDown=${onPointerDown}
          onPointerMove=${onPointerMove}
          onPointerUp=${onPointerUp}
          onPointerCancel=${onPointerUp}
          onKeyDown=${onKeyDown}
        >
          ${rows}
        </div>
      </div>
      <div class="schedule-actions">
        <span aria-live="polite">${t('schedule.summary', { hours: countSlots(slots) / 4 })}</span>
        <button type="button" onClick=${() => onChange(emptySlots())}>${t('schedule.clear')}</button>
        <button type="button" onClick=${() => onChange(DAY_KEYS.map(() => new Array(SLOTS_PER_DAY).fill(true)))}>${t('schedule.all')}</button>
      </div>
    </div>
  `;
}

function offsets() {
  const list = [];
  for (let minutes = -12 * 60; minutes <= 14 * 60; minutes += 60) list.push(minutes);
  list.push(-9.5 * 60, -3.5 * 60, 3.5 * 60, 4.5 * 60, 5.5 * 60, 5.75 * 60, 6.5 * 60, 9.5 * 60, 10.5 * 60, 12.75 * 60);
  return list.sort((a, b) => a - b).map((minutes) => {
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  });
}

// The time zones the API takes, grouped for a <select>: [[group label, [zone, ...]], ...].
// IANA names follow daylight saving; fixed offsets (+08:00) do not. `current` is kept even
// when the browser does not list it.
export function timezoneOptions(current) {
  let regions = [];
  try {
    regions = Intl.supportedValuesOf('timeZone');
  } catch {
    regions = [];
  }
  const fixed = offsets();
  const known = new Set([...regions, ...fixed, 'UTC']);
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const first = [...new Set([mine, 'UTC', current].filter(Boolean))];
  return [
    [t('schedule.zonesCommon'), first.filter((zone) => known.has(zone) || zone === current)],
    [t('schedule.zonesOffsets'), fixed],
    [t('schedule.zonesRegions'), regions.filter((zone) => zone !== 'UTC')],
  ];
}
