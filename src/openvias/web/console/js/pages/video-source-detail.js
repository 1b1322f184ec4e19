// One video source: its snapshot, its properties and its groups.
import { html, useEffect, useState } from '../lib.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { link } from '../router.js';
import { ErrorBox, Spinner, StateBadge, formatTime } from '../components.js';
import { kindOf } from './video-source-form.js';
import { viasError } from './video-shared.js';

// GET ~/source/sources/{id}/snapshot as a blob URL, fetched again on Refresh; the picture's
// source size comes from the X-Openvias-Source-Width/Height headers.
function useSnapshot(sourceId, at, round) {
  const [state, setState] = useState({ url: null, error: null, loading: true, size: null });
  useEffect(() => {
    const controller = new AbortController();
    let url = null;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    api(`~/source/sources/${encodeURIComponent(sourceId)}/snapshot`, {
      raw: true,
      signal: controller.signal,
      headers: { Accept: 'image/jpeg' },
      query: { at, max_side: 1280 },
    })
      .then(async (response) => {
        const blob = await response.blob();
        url = URL.createObjectURL(blob);
        const width = response.headers.get('X-Openvias-Source-Width');
        const height = response.headers.get('X-Openvias-Source-Height');
        const seconds = response.headers.get('X-Openvias-Snapshot-At');
        setState({ url, error: null, loading: false, size: width && height ? { width, height } : null, at: seconds });
      })
      .catch((error) => {
        if (error?.name !== 'AbortError') setState({ url: null, error, loading: false, size: null });
      });
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [sourceId, at, round]);
  return state;
}

function Snapshot({ source }) {
  const seekable = ['file', 'obs', 'http'].includes(kindOf(source));
  const [atText, setAtText] = useState('');
  const [at, setAt] = useState(undefined);
  const [round, setRound] = useState(0);
  const snapshot = useSnapshot(source.video_source_id, at, round);
  const refresh = (event) => {
    event.preventDefault();
    const seconds = atText.trim() === '' ? undefined : Number(atText);
    setAt(Number.isFinite(seconds) ? seconds : atText.trim());
    setRound((n) => n + 1);
  };
  return html`
    <section class="video-snapshot" aria-labelledby="video-snapshot-title">
      <h2 id="video-snapshot-title">${t('video.detail.snapshot')}</h2>
      <form class="video-snapshot-bar" onSubmit=${refresh}>
        ${seekable
          ? html`<label class="video-inline-field">
              <span>${t('video.detail.at')}</span>
              <input name="at" type="number" min="0" step="any" inputmode="decimal" value=${atText}
                onInput=${(e) => setAtText(e.currentTarget.value)} />
            </label>`
          : null}
        <button type="submit" disabled=${snapshot.loading}>${t('video.detail.refresh')}</button>
        ${snapshot.loading ? html`<${Spinner} />` : null}
      </form>
      <div class="video-snapshot-frame">
        ${snapshot.url
          ? html`<img src=${snapshot.url} alt=${t('video.detail.snapshotAlt', { name: source.video_source_name })} />`
          : null}
        ${snapshot.error
          ? html`<div class="video-snapshot-failed">
              <p class="video-snapshot-failed-title">${t('video.detail.snapshotFailed')}</p>
              <${ErrorBox} error=${viasError(snapshot.error)} />
              ${snapshot.error.body?.advice ? html`<p class="hint">${snapshot.error.body.advice}</p>` : null}
            </div>`
          : null}
      </div>
      ${snapshot.size && snapshot.url
        ? html`<p class="hint">
            ${t('video.detail.snapshotSize', snapshot.size)}
            ${snapshot.at ? html` · ${t('video.detail.snapshotAt', { seconds: snapshot.at })}` : null}
          </p>`
        : null}
    </section>`;
}

function Properties({ source }) {
  const none = t('video.detail.none');
  const coordinates = source.latitude || source.longitude ? `${source.latitude || none}, ${source.longitude || none}` : none;
  const rows = [
    [t('video.detail.id'), html`<code>${source.video_source_id}</code>`],
    [t('video.col.state'), html`<${StateBadge} state=${source.status.status} />`],
    [t('video.col.type'), `${t(`video.kind.${kindOf(source)}`)} (${t(`video.type.${source.type}`)})`],
    [t('video.detail.address'), html`<code class="video-address">${source.stream_path || none}</code>`],
    [t('video.col.access'), t(`video.access.${source.access_type}`)],
    [t('video.detail.coordinates'), coordinates],
    [t('video.detail.tags'), source.tag.length ? source.tag.join(', ') : none],
    [t('video.col.created'), formatTime(source.create_at)],
  ];
  return html`
    <section class="video-properties" aria-labelledby="video-properties-title">
      <h2 id="video-properties-title">${t('video.detail.properties')}</h2>
      <dl class="video-dl">
        ${rows.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}
      </dl>
      <details class="video-type-config">
        <summary>${t('video.detail.typeConfig')}</summary>
        <pre>${source.type_config}</pre>
      </details>
    </section>`;
}

function Groups({ source }) {
  const groups = source.video_packages ?? [];
  return html`
    <section class="video-source-groups" aria-labelledby="video-source-groups-title">
      <h2 id="video-source-groups-title">${t('video.detail.groups')}</h2>
      ${groups.length === 0
        ? html`<p class="empty">${t('video.detail.noGroups')}</p>`
        : html`<ul class="video-group-chips">
            ${groups.map((g) => html`<li key=${g.video_group_id}>
              <a href=${link(`/video/groups/${g.video_group_id}`)}>${g.video_group_name}</a>
              <span class="muted"> · ${t('video.detail.groupMembers', { count: g.num_video_source })}</span>
            </li>`)}
          </ul>`}
    </section>`;
}

export function SourceDetail({ source }) {
  return html`
    <div class="video-detail">
      <${Snapshot} source=${source} />
      <div class="video-detail-side">
        <${Properties} source=${source} />
        <${Groups} source=${source} />
      </div>
    </div>`;
}
