// One alarm (#/events/<id>): its full picture with the boxes, the VIAS alarm message,
// review with a comment, its deliveries, its aggregated events, previous and next.
import { html, useState, useEffect, useRef } from '../lib.js';
import { api } from '../api.js';
import { link, navigate } from '../router.js';
import { t, formatNumber } from '../i18n.js';
import { Page, DataTable, Pager, ErrorBox, Spinner, Field, StateBadge, notify, formatTime, useAsync } from '../components.js';
import {
  AlarmPicture,
  ReviewBadge,
  describeFindings,
  eventQuery,
  filterParams,
  serviceLabel,
  sourceName,
  taskInfo,
  useLookup,
} from './event-shared.js';
import { DeliveryTarget, retryDelivery } from './deliveries.js';

const SECONDARY_PAGE = 10;
const SHOWN_BASE64 = 80;

/** The VIAS alarm message as the outputs send it, its picture shortened for reading. */
function viasMessage(event) {
  const image = event.image_base64 || '';
  return {
    event_type: event.event_type,
    task_id: event.task_id,
    stream_id: event.stream_id,
    timestamp: event.timestamp,
    message_id: event.message_id,
    image_base64:
      image.length > SHOWN_BASE64
        ? `${image.slice(0, SHOWN_BASE64)}… ${t('events.detail.base64Rest', { n: formatNumber(image.length - SHOWN_BASE64) })}`
        : image,
    data: event.data,
  };
}

/** The alarms before and after this one in the Event Center's list with its filters: the
 * list position ``i`` travels in the URL; the alarm is looked for around it. */
function useNeighbours(eventId, params) {
  const [found, setFound] = useState({ previous: null, next: null });
  const filterKey = params.toString();
  useEffect(() => {
    let live = true;
    const query = eventQuery(params);
    const at = Number(params.get('i'));
    const near = Number.isInteger(at) && at >= 0 ? at : 0;
    const look = async (offset, limit) => {
      const page = await api('~/events', { query: { ...query, offset, limit } });
      const index = page.events.findIndex((event) => event.message_id === eventId);
      if (index < 0) return null;
      const before = page.events[index - 1];
      const after = page.events[index + 1];
      return {
        previous: before ? { id: before.message_id, i: offset + index - 1 } : null,
        next: after ? { id: after.message_id, i: offset + index + 1 } : null,
        // The first of a page has its previous one on the page before.
        firstOnPage: index === 0 && offset > 0,
      };
    };
    (async () => {
      let result = await look(Math.max(0, near - 1), 3);
      if (!result) result = await look(Math.max(0, near - 25), 51);
      if (result && result.firstOnPage) result = (await look(Math.max(0, near - 2), 4)) || result;
      if (live && result) setFound({ previous: result.previous, next: result.next });
    })().catch(() => {});
    return () => {
      live = false;
    };
  }, [eventId, filterKey]);
  return found;
}

function Facts({ event }) {
  const source = useLookup(sourceName, event.video_source_id);
  const task = useLookup(taskInfo, event.task_id);
  const rows = [
    [t('events.detail.time'), formatTime(event.timestamp * 1000)],
    [t('events.detail.found'), describeFindings(event)],
    [
      t('events.detail.source'),
      event.video_source_id
        ? html`<a href=${link(`/video/sources/${event.video_source_id}`)}>${source || event.video_source_id}</a>`
        : event.stream_id,
    ],
    [t('events.detail.task'), task ? task.name : event.task_id],
    [t('events.detail.service'), serviceLabel(event.service_name)],
    [t('events.detail.eventType'), String(event.event_type)],
    [t('events.detail.stored'), formatTime(event.created_at)],
    [t('events.detail.review'), html`<${ReviewBadge} state=${event.review_state} />`],
  ];
  if (event.reviewed_by) {
    rows.push([
      t('events.detail.reviewedBy'),
      t('events.detail.reviewedByAt', { user: event.reviewed_by, time: formatTime(event.reviewed_at) }),
    ]);
  }
  if (event.review_comment) rows.push([t('events.detail.comment'), event.review_comment]);
  if (event.primary_id) {
    rows.push([
      t('events.detail.primary'),
      html`<a href=${link(`/events/${event.primary_id}`)}>${t('events.detail.openPrimary')}</a>`,
    ]);
  }
  if (event.aggregated_count > 1) {
    rows.push([t('events.detail.aggregated'), formatNumber(event.aggregated_count)]);
  }
  return html`<dl class="ev-facts">
    ${rows.map(([term, value]) => html`<div key=${term}><dt>${term}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

function ReviewForm({ event, onReviewed }) {
  const [comment, setComment] = useState(event.review_comment || '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const review = async (result) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api(`~/events/${event.message_id}/review`, {
        method: 'PUT',
        body: { result, comment },
      });
      notify(t(`events.detail.reviewed.${result}`));
      onReviewed(updated);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="ev-review-form" onSubmit=${(e) => e.preventDefault()} aria-label=${t('events.detail.reviewTitle')}>
    <h2>${t('events.detail.reviewTitle')}</h2>
    <${Field} label=${t('events.detail.comment')} hint=${t('events.detail.commentHint')}>
      <textarea rows="3" maxlength="1024" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea>
    </${Field}>
    <${ErrorBox} error=${error} />
    <div class="ev-review-actions">
      <button type="button" class="primary" disabled=${busy} onClick=${() => review('approved')}>
        ${t('events.detail.approve')}
      </button>
      <button type="button" class="danger" disabled=${busy} onClick=${() => review('rejected')}>
        ${t('events.detail.reject')}
      </button>
    </div>
  </form>`;
}

function EventDeliveries({ eventId }) {
  const { data, error, loading, reload } = useAsync(
    (signal) => api('~/deliveries', { query: { event_id: eventId, limit: 50 }, signal }),
    [eventId],
  );
  const retry = async (delivery) => {
    if (await retryDelivery(delivery)) reload();
  };
  const columns = [
    { key: 'sink', label: t('deliveries.col.sink'), render: (d) => t(`deliveries.sink.${d.sink}`) },
    { key: 'target', label: t('deliveries.col.target'), render: (d) => html`<${DeliveryTarget} delivery=${d} />` },
    { key: 'state', label: t('deliveries.col.state'), render: (d) => html`<${StateBadge} state=${d.state} />` },
    { key: 'attempts', label: t('deliveries.col.attempts'), render: (d) => formatNumber(d.history.length) },
    {
      key: 'when',
      label: t('deliveries.col.when'),
      render: (d) => formatTime(d.delivered_at || (d.history.length ? d.history[d.history.length - 1].started_at : d.created_at)),
    },
    { key: 'error', label: t('deliveries.col.lastError'), className: 'dl-error', render: (d) => d.last_error || '' },
    {
      key: 'actions',
      label: t('deliveries.col.actions'),
      render: (d) =>
        d.state === 'dead'
          ? html`<button type="button" onClick=${() => retry(d)}>${t('deliveries.retry')}</button>`
          : null,
    },
  ];
  return html`<section class="ev-section" aria-labelledby="ev-deliveries-title">
    <h2 id="ev-deliveries-title">${t('events.detail.deliveries')}</h2>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${loading && !data ? html`<${Spinner} />` : null}
    ${data
      ? html`<${DataTable}
          columns=${columns}
          rows=${data.deliveries}
          rowKey="id"
          empty=${t('events.detail.noDeliveries')}
        />`
      : null}
  </section>`;
}

function Secondaries({ event, focus }) {
  const [offset, setOffset] = useState(0);
  const section = useRef(null);
  const { data, error } = useAsync(
    (signal) =>
      api(`~/events/${event.message_id}/secondary`, { query: { offset, limit: SECONDARY_PAGE }, signal }),
    [event.message_id, offset],
  );
  useEffect(() => {
    if (focus && data && section.current) section.current.scrollIntoView({ block: 'start' });
  }, [focus, !!data]);
  const columns = [
    {
      key: 'time',
      label: t('events.detail.time'),
      render: (e) => html`<a href=${link(`/events/${e.message_id}`)}>${formatTime(e.timestamp * 1000)}</a>`,
    },
    { key: 'found', label: t('events.detail.found'), render: (e) => describeFindings(e) },
    { key: 'review', label: t('events.detail.review'), render: (e) => html`<${ReviewBadge} state=${e.review_state} />` },
  ];
  return html`<section class="ev-section" ref=${section} aria-labelledby="ev-secondary-title">
    <h2 id="ev-secondary-title">
      ${t('events.detail.secondaries', { n: formatNumber(event.aggregated_count - 1) })}
    </h2>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${data
      ? html`<${DataTable} columns=${columns} rows=${data.events} rowKey="message_id" empty=${t('events.empty')} />
          ${data.total > SECONDARY_PAGE
            ? html`<${Pager} offset=${offset} limit=${SECONDARY_PAGE} total=${data.total} onChange=${setOffset} />`
            : null}`
      : html`<${Spinner} />`}
  </section>`;
}

export default function EventDetailPage({ route }) {
  const eventId = route.parts[1];
  const params = route.params;
  const filters = filterParams(params);
  const [event, setEvent] = useState(null);
  const [error, setError] = useState(null);
  const { previous, next } = useNeighbours(eventId, params);
  const task = useLookup(taskInfo, event && event.task_id);

  useEffect(() => {
    const controller = new AbortController();
    setEvent(null);
    api(`~/events/${encodeURIComponent(eventId)}`, { signal: controller.signal }).then(setEvent, (failure) => {
      if (failure.name !== 'AbortError') setError(failure);
    });
    return () => controller.abort();
  }, [eventId]);

  const go = (target) => target && navigate(`/events/${target.id}`, { ...filters, i: target.i });
  // The listener reads the neighbours of the latest render: effects run after paint, so a
  // listener bound to one render's values could miss a key pressed as soon as a link shows.
  const latest = useRef({});
  latest.current = { previous, next, go };
  useEffect(() => {
    const keys = (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest('input, textarea, select')) return;
      const now = latest.current;
      if (e.key === 'ArrowLeft' && now.previous) now.go(now.previous);
      if (e.key === 'ArrowRight' && now.next) now.go(now.next);
    };
    window.addEventListener('keydown', keys);
    return () => window.removeEventListener('keydown', keys);
  }, []);

  const title = event
    ? t('events.detail.title', { findings: describeFindings(event), time: formatTime(event.timestamp * 1000) })
    : t('events.detail.loading');
  const actions = html`<nav class="ev-detail-nav" aria-label=${t('events.detail.neighbours')}>
    <a class="button secondary" href=${link('/events', filters)}>${t('events.detail.back')}</a>
    ${previous
      ? html`<a class="button" rel="prev" href=${link(`/events/${previous.id}`, { ...filters, i: previous.i })}>${t('events.detail.previous')}</a>`
      : null}
    ${next
      ? html`<a class="button" rel="next" href=${link(`/events/${next.id}`, { ...filters, i: next.i })}>${t('events.detail.next')}</a>`
      : null}
  </nav>`;

  if (error) return html`<${Page} title=${t('events.detail.loading')} actions=${actions}><${ErrorBox} error=${error} /></${Page}>`;
  if (!event) return html`<${Page} title=${title} actions=${actions}><${Spinner} /></${Page}>`;
  const alt = t('events.pictureAlt', {
    findings: describeFindings(event),
    time: formatTime(event.timestamp * 1000),
    source: event.video_source_id || event.stream_id,
  });
  return html`<${Page} title=${title} actions=${actions}>
    <div class="ev-detail">
      <figure class="ev-detail-picture">
        <${AlarmPicture} event=${event} large=${true} alt=${alt} />
        <figcaption>
          ${task && task.boxesInPicture ? t('events.detail.boxesInPicture') : t('events.detail.boxesDrawn')}
        </figcaption>
      </figure>
      <div class="ev-detail-side">
        <${Facts} event=${event} />
        <${ReviewForm} key=${event.reviewed_at} event=${event} onReviewed=${(updated) => setEvent({ ...event, ...updated })} />
      </div>
    </div>
    <section class="ev-section" aria-labelledby="ev-message-title">
      <h2 id="ev-message-title">${t('events.detail.message')}</h2>
      <pre class="ev-message" tabindex="0">${JSON.stringify(viasMessage(event), null, 2)}</pre>
    </section>
    <${EventDeliveries} eventId=${event.message_id} />
    ${event.aggregated_count > 1
      ? html`<${Secondaries} event=${event} focus=${params.get('show') === 'secondary'} />`
      : null}
  </${Page}>`;
}
