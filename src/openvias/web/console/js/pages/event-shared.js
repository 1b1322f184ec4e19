// What the Event Center's pages share: the filters as ListEvents parameters, name lookups,
// and an alarm's picture with its boxes drawn over it.
import { html, useState, useEffect, useRef } from '../lib.js';
import { api } from '../api.js';
import { t } from '../i18n.js';

/** The filters of the Event Center, as URL keys (they travel to the detail page too). */
export const FILTER_KEYS = ['from', 'to', 'source', 'task', 'service', 'review'];

// ---------------------------------------------------------------- filters <-> ListEvents

function epochSeconds(local) {
  if (!local) return undefined;
  const ms = new Date(local).getTime();
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** ListEvents' query parameters for the filters in the URL. */
export function eventQuery(params) {
  const to = epochSeconds(params.get('to'));
  return {
    start_time: epochSeconds(params.get('from')),
    // datetime-local stops at the minute: "to 10:05" includes 10:05:59.
    end_time: to === undefined ? undefined : to + 59,
    video_source_id: params.get('source'),
    task_id: params.get('task'),
    service_name: params.get('service'),
    review_state: params.get('review'),
  };
}

/** The filters in the URL as an object, for links that keep them. */
export function filterParams(params) {
  const kept = {};
  for (const key of FILTER_KEYS) if (params.get(key)) kept[key] = params.get(key);
  return kept;
}

// ---------------------------------------------------------------- names and pictures

// Looked up once per page visit: many alarms share a task or a source.
const taskInfos = new Map();
const sourceNames = new Map();

/** The task's name and whether its stored alarm pictures already carry the boxes
 * (``render_result_sw`` = 1 draws them into the JPEG); null when the task is gone. */
export function taskInfo(taskId) {
  if (!taskInfos.has(taskId)) {
    const found = api(`~/tasks/${encodeURIComponent(taskId)}`)
      .then((task) => {
        const common = (task.config && task.config.common) || {};
        return { name: task.name, boxesInPicture: Number(common.render_result_sw) === 1 };
      })
      .catch(() => null);
    taskInfos.set(taskId, found);
  }
  return taskInfos.get(taskId);
}

export function sourceName(sourceId) {
  if (!sourceId) return Promise.resolve(null);
  if (!sourceNames.has(sourceId)) {
    sourceNames.set(
      sourceId,
      api(`~/source/sources/${encodeURIComponent(sourceId)}`)
        .then((source) => source.video_source_name)
        .catch(() => null),
    );
  }
  return sourceNames.get(sourceId);
}

export function forgetLookups() {
  taskInfos.clear();
  sourceNames.clear();
}

/** Resolves a promise-returning lookup into state: undefined until it answers. */
export function useLookup(lookup, key) {
  const [value, setValue] = useState(undefined);
  useEffect(() => {
    let live = true;
    setValue(undefined);
    if (key) lookup(key).then((found) => live && setValue(found));
    return () => {
      live = false;
    };
  }, [key]);
  return value;
}

export function serviceLabel(name) {
  const key = `events.service.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

/** A short description of what an alarm found: "fire", "smoke, person", "line counts". */
export function describeFindings(event) {
  const found = [];
  for (const item of event.data.event_set || []) {
    let what;
    if (item.state === 1) what = t('events.found.fire');
    else if (item.state === 2) what = t('events.found.smoke');
    else if (item.category === 0) what = t('events.found.person');
    else if (item.category === 1) what = t('events.found.vehicle');
    else if ('side1_count' in item) what = t('events.found.lineCount');
    else if ('count' in item) what = t('events.found.regionCount');
    else what = t('events.found.other');
    if (!found.includes(what)) found.push(what);
  }
  return found.join(', ') || t('events.found.other');
}

function boxKind(item) {
  if (item.state === 1) return 'fire';
  if (item.state === 2) return 'smoke';
  return 'target';
}

/** Fetches the alarm picture (``GET .../events/{id}/image``, ``max_side`` for a card)
 * once the element is near the viewport; the blob URL is revoked when the card goes.
 * ``stored`` is the stored picture's size, which bounding boxes refer to. */
function useAlarmPicture(eventId, maxSide, ref) {
  const [picture, setPicture] = useState({ url: null, stored: null });
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let made = null;
    let live = true;
    const controller = new AbortController();
    const load = async () => {
      try {
        const response = await api(`~/events/${eventId}/image`, { query: { max_side: maxSide }, raw: true, signal: controller.signal });
        const width = Number(response.headers.get('X-Openvias-Image-Width'));
        const height = Number(response.headers.get('X-Openvias-Image-Height'));
        const blob = await response.blob();
        if (!live) return;
        made = URL.createObjectURL(blob);
        setPicture({ url: made, stored: width && height ? { w: width, h: height } : null });
      } catch (error) {
        if (live && error.name !== 'AbortError') setFailed(true);
      }
    };
    let observer = null;
    if ('IntersectionObserver' in window && ref.current) {
      observer = new IntersectionObserver(
        (entries) => {
          if (entries.some((entry) => entry.isIntersecting)) {
            observer.disconnect();
            load();
          }
        },
        { rootMargin: '300px' },
      );
      observer.observe(ref.current);
    } else load();
    return () => {
      live = false;
      if (observer) observer.disconnect();
      controller.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [eventId, maxSide]);
  return { ...picture, failed };
}

/** The alarm picture with the alarm's boxes (``data.event_set[].bounding_box``) drawn over
 * it as SVG in the picture's pixel coordinates, unless the task drew them into the JPEG. */
export function AlarmPicture({ event, maxSide, large = false, alt }) {
  const holder = useRef(null);
  const { url, stored, failed } = useAlarmPicture(event.message_id, maxSide, holder);
  const [shown, setShown] = useState(null);
  // A card's picture is scaled down: boxes are drawn in the stored picture's coordinates.
  const size = shown && (stored || shown);
  const task = useLookup(taskInfo, event.task_id);
  const boxes = (event.data.event_set || []).filter((item) => item.bounding_box);
  // Until the task answers nothing is drawn; a deleted task (null) gets the overlay.
  const drawBoxes = boxes.length > 0 && size && task !== undefined && !(task && task.boxesInPicture);
  const style = large && size ? { aspectRatio: `${size.w} / ${size.h}` } : undefined;
  return html`<div class=${`ev-picture${large ? ' is-large' : ''}`} ref=${holder} style=${style}>
    ${url
      ? html`<img
          src=${url}
          alt=${alt}
          loading="lazy"
          decoding="async"
          onLoad=${(e) => setShown({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })}
        />`
      : html`<div class="ev-picture-empty">${failed ? t('events.noPicture') : ''}</div>`}
    ${drawBoxes
      ? html`<svg
          class="ev-boxes"
          viewBox=${`0 0 ${size.w} ${size.h}`}
          preserveAspectRatio="xMidYMid meet"
          aria-hidden="true"
          data-testid="alarm-boxes"
        >
          ${boxes.map(
            (item, i) =>
              html`<rect
                key=${i}
                class=${`ev-box ev-box-${boxKind(item)}`}
                x=${item.bounding_box.x}
                y=${item.bounding_box.y}
                width=${item.bounding_box.w}
                height=${item.bounding_box.h}
              />`,
          )}
        </svg>`
      : null}
  </div>`;
}

const REVIEW_TONES = { pending: 'warn', approved: 'good', rejected: 'bad' };

export function ReviewBadge({ state }) {
  return html`<span class=${`badge badge-${REVIEW_TONES[state] || 'neutral'} ev-review`}>${t(`events.review.${state}`)}</span>`;
}
