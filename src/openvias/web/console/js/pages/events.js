// The Event Center (#/events): the project's alarms as a grid of their pictures with the
// boxes drawn, filters held in the URL, bulk review, aggregated events, and new alarms
// that appear without a reload (ListEvents polled while the page is visible).
import { html, useState, useEffect, useRef, useCallback } from '../lib.js';
import { api } from '../api.js';
import { useRoute, setParams, link } from '../router.js';
import { t, formatNumber } from '../i18n.js';
import { Page, Pager, ErrorBox, Spinner, Field, notify, formatTime, usePoll } from '../components.js';
import {
  AlarmPicture,
  FILTER_KEYS,
  ReviewBadge,
  describeFindings,
  eventQuery,
  filterParams,
  forgetLookups,
  serviceLabel,
  sourceName,
  taskInfo,
  useLookup,
} from './event-shared.js';

const PAGE_SIZE = 24;
const POLL_MS = 4000;
// Cards get the alarm picture scaled down on the server (a 1080p JPEG is ~0.4 MB).
const CARD_PICTURE_SIDE = 480;
const REVIEW_STATES = ['pending', 'approved', 'rejected'];

// ---------------------------------------------------------------- filter controls

/** A text box that searches a long list (sources, tasks) and keeps the chosen id. */
function SearchPicker({ id, label, value, resolve, search, onChange }) {
  const chosenName = useLookup(resolve, value);
  const [text, setText] = useState('');
  const [options, setOptions] = useState([]);
  const [query, setQuery] = useState(null);
  useEffect(() => setText(value ? chosenName || value : ''), [value, chosenName]);
  useEffect(() => {
    if (query === null) return undefined;
    const timer = setTimeout(() => {
      search(query).then(setOptions, () => setOptions([]));
    }, 250);
    return () => clearTimeout(timer);
  }, [query]);
  // A name typed in full before its search answered is taken once the answer comes.
  useEffect(() => {
    const match = options.find((option) => option.label === text);
    if (match && match.id !== value) onChange(match.id);
  }, [options]);
  const typed = (e) => {
    const entered = e.currentTarget.value;
    setText(entered);
    const match = options.find((option) => option.label === entered);
    if (match) onChange(match.id);
    else if (!entered) onChange(null);
    else setQuery(entered);
  };
  return html`<${Field} label=${label}>
    <input
      type="search"
      list=${`${id}-options`}
      value=${text}
      onInput=${typed}
      onFocus=${() => query === null && setQuery(text)}
      autocomplete="off"
      placeholder=${t('events.filter.any')}
    />
    <datalist id=${`${id}-options`}>
      ${options.map((option) => html`<option key=${option.id} value=${option.label} />`)}
    </datalist>
  </${Field}>`;
}

const searchSources = (text) =>
  api('~/source/sources', { query: { is_paged: true, page_size: 20, page_num: 1, scope: text } }).then(
    (found) =>
      found.video_source_list.map((s) => ({ id: s.video_source_id, label: s.video_source_name })),
  );

const searchTasks = (text) =>
  api('~/tasks', { query: { page_size: 20, page: 1, task_name: text } }).then((found) =>
    found.tasks.map((task) => ({ id: task.id, label: task.name })),
  );

const taskName = (taskId) => taskInfo(taskId).then((info) => (info ? info.name : null));

function useServices() {
  const [services, setServices] = useState([]);
  useEffect(() => {
    api('~/algorithm/services/user').then(
      (found) => setServices([...new Set(found.service_list.map((s) => s.service_name))].sort()),
      () => setServices([]),
    );
  }, []);
  return services;
}

function Filters({ params }) {
  const services = useServices();
  const set = (changes) => setParams({ ...changes, offset: null });
  const service = params.get('service') || '';
  const serviceChoices = service && !services.includes(service) ? [...services, service] : services;
  const active = FILTER_KEYS.filter((key) => params.get(key)).length;
  // Open on a wide screen; folded on a phone, where it would push the alarms down.
  const [open] = useState(() => !window.matchMedia('(max-width: 800px)').matches);
  return html`<details class="ev-filter-box" open=${open}>
    <summary>${active ? t('events.filtersActive', { n: active }) : t('events.filters')}</summary>
    <form class="ev-filters" role="search" aria-label=${t('events.filters')} onSubmit=${(e) => e.preventDefault()}>
    <${Field} label=${t('events.filter.from')}>
      <input type="datetime-local" value=${params.get('from') || ''} onChange=${(e) => set({ from: e.currentTarget.value })} />
    </${Field}>
    <${Field} label=${t('events.filter.to')}>
      <input type="datetime-local" value=${params.get('to') || ''} onChange=${(e) => set({ to: e.currentTarget.value })} />
    </${Field}>
    <${SearchPicker}
      id="ev-source"
      label=${t('events.filter.source')}
      value=${params.get('source')}
      resolve=${sourceName}
      search=${searchSources}
      onChange=${(id) => set({ source: id })}
    />
    <${SearchPicker}
      id="ev-task"
      label=${t('events.filter.task')}
      value=${params.get('task')}
      resolve=${taskName}
      search=${searchTasks}
      onChange=${(id) => set({ task: id })}
    />
    <${Field} label=${t('events.filter.service')}>
      <select value=${service} onChange=${(e) => set({ service: e.currentTarget.value })}>
        <option value="">${t('events.filter.any')}</option>
        ${serviceChoices.map((name) => html`<option key=${name} value=${name}>${serviceLabel(name)}</option>`)}
      </select>
    </${Field}>
    <${Field} label=${t('events.filter.review')}>
      <select value=${params.get('review') || ''} onChange=${(e) => set({ review: e.currentTarget.value })}>
        <option value="">${t('events.filter.any')}</option>
        ${REVIEW_STATES.map((state) => html`<option key=${state} value=${state}>${t(`events.review.${state}`)}</option>`)}
      </select>
    </${Field}>
    ${FILTER_KEYS.some((key) => params.get(key))
      ? html`<button type="button" class="secondary" onClick=${() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}>
          ${t('events.filter.clear')}
        </button>`
      : null}
    </form>
  </details>`;
}

// ---------------------------------------------------------------- the grid

function AlarmCard({ event, index, filters, selected, onToggle, fresh }) {
  const source = useLookup(sourceName, event.video_source_id);
  const time = formatTime(event.timestamp * 1000);
  const findings = describeFindings(event);
  const href = link(`/events/${event.message_id}`, { ...filters, i: index });
  const alt = t('events.pictureAlt', { findings, time, source: source || event.stream_id });
  return html`<li class=${`ev-card${selected ? ' is-selected' : ''}${fresh ? ' is-new' : ''}`}>
    <a class="ev-card-picture" href=${href}>
      <${AlarmPicture} event=${event} maxSide=${CARD_PICTURE_SIDE} alt=${alt} />
    </a>
    <div class="ev-card-body">
      <label class="ev-select">
        <input type="checkbox" checked=${selected} onChange=${() => onToggle(event.message_id)} />
        <span class="ev-sr-only">${t('events.selectOne', { findings, time })}</span>
      </label>
      <div class="ev-card-text">
        <a class="ev-card-title" href=${href}>${findings}</a>
        <span class="ev-card-time">${time}</span>
        <span class="ev-card-source">${source || event.stream_id}</span>
        <span class="ev-card-service">${serviceLabel(event.service_name)}</span>
      </div>
      <div class="ev-card-tags">
        <${ReviewBadge} state=${event.review_state} />
        ${event.aggregated_count > 1
          ? html`<a class="ev-aggregate" href=${link(`/events/${event.message_id}`, { ...filters, i: index, show: 'secondary' })}>
              ${t('events.aggregated', { n: formatNumber(event.aggregated_count) })}
            </a>`
          : null}
      </div>
    </div>
  </li>`;
}

async function reviewAll(ids, result) {
  let failed = 0;
  // A few at a time: a page holds at most PAGE_SIZE alarms.
  const queue = [...ids];
  const worker = async () => {
    while (queue.length) {
      const id = queue.shift();
      try {
        await api(`~/events/${id}/review`, { method: 'PUT', body: { result, comment: '' } });
      } catch (error) {
        failed += 1;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return failed;
}

export default function EventsPage() {
  const { params } = useRoute();
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const query = eventQuery(params);
  const filters = filterParams(params);
  const filterKey = JSON.stringify(query);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(() => new Set());
  const [fresh, setFresh] = useState(() => new Set());
  const [announcement, setAnnouncement] = useState('');
  const [newer, setNewer] = useState(0);
  const [busy, setBusy] = useState(false);
  const seen = useRef({ key: null, ids: new Set(), total: 0 });
  const generation = useRef(0);

  useEffect(() => forgetLookups(), []);
  useEffect(() => {
    setSelected(new Set());
    setFresh(new Set());
    setNewer(0);
    setAnnouncement('');
  }, [filterKey, offset]);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    const key = `${filterKey}@${offset}`;
    try {
      const found = await api('~/events', { query: { ...query, offset, limit: PAGE_SIZE } });
      if (mine !== generation.current) return;
      const before = seen.current;
      if (before.key === key) {
        const added = found.events.filter((event) => !before.ids.has(event.message_id));
        const count = Math.max(added.length, found.total - before.total);
        if (count > 0) {
          const message = count === 1 ? t('events.newAlarm') : t('events.newAlarms', { n: formatNumber(count) });
          setAnnouncement(message);
          setFresh(new Set(added.map((event) => event.message_id)));
          if (offset > 0) setNewer((n) => n + count);
        }
      }
      // Past the first page the list stays put: new alarms are announced, not inserted.
      if (before.key !== key || offset === 0) setPage(found);
      seen.current = {
        key,
        ids: new Set([...(before.key === key ? before.ids : []), ...found.events.map((e) => e.message_id)]),
        total: found.total,
      };
      setError(null);
    } catch (failure) {
      if (mine === generation.current) setError(failure);
    }
  }, [filterKey, offset]);

  usePoll(load, POLL_MS, [filterKey, offset]);

  const events = page ? page.events : [];
  const toggle = (id) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = events.length > 0 && events.every((event) => selected.has(event.message_id));
  const selectAll = () =>
    setSelected(allSelected ? new Set() : new Set(events.map((event) => event.message_id)));

  const review = async (result) => {
    const ids = [...selected];
    setBusy(true);
    const failed = await reviewAll(ids, result);
    setBusy(false);
    setSelected(new Set());
    if (failed) notify(t('events.bulkFailed', { n: failed, total: ids.length }), 'error');
    else notify(t(`events.bulkDone.${result}`, { n: formatNumber(ids.length) }));
    load();
  };

  const actions = html`<div class="ev-bulk" role="group" aria-label=${t('events.bulk')}>
    <label class="ev-select-all">
      <input type="checkbox" checked=${allSelected} onChange=${selectAll} disabled=${!events.length} />
      ${t('events.selectAll')}
    </label>
    <span class="ev-selected-count">${t('events.selectedCount', { n: selected.size })}</span>
    <button type="button" disabled=${!selected.size || busy} onClick=${() => review('approved')}>
      ${t('events.approveSelected')}
    </button>
    <button type="button" class="secondary" disabled=${!selected.size || busy} onClick=${() => review('rejected')}>
      ${t('events.rejectSelected')}
    </button>
  </div>`;

  return html`<${Page} title=${t('events.title')} actions=${actions}>
    <${Filters} params=${params} />
    <div class="ev-status">
      <p class="ev-live" role="status" aria-live="polite">${announcement}</p>
      ${newer > 0
        ? html`<button type="button" class="secondary" onClick=${() => setParams({ offset: null })}>
            ${t('events.showNewest')}
          </button>`
        : null}
      ${page ? html`<span class="ev-total">${page.total === 1 ? t('events.totalOne') : t('events.total', { n: formatNumber(page.total) })}</span>` : null}
    </div>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${!page && !error ? html`<${Spinner} />` : null}
    ${page && !events.length ? html`<p class="ev-empty">${t('events.empty')}</p>` : null}
    ${events.length
      ? html`<ul class="ev-grid" aria-label=${t('events.alarms')}>
          ${events.map(
            (event, i) =>
              html`<${AlarmCard}
                key=${event.message_id}
                event=${event}
                index=${offset + i}
                filters=${filters}
                selected=${selected.has(event.message_id)}
                fresh=${fresh.has(event.message_id)}
                onToggle=${toggle}
              />`,
          )}
        </ul>`
      : null}
    ${page && page.total > PAGE_SIZE
      ? html`<${Pager}
          offset=${offset}
          limit=${PAGE_SIZE}
          total=${page.total}
          onChange=${(next) => setParams({ offset: next || null })}
        />`
      : null}
  </${Page}>`;
}
