// The create and edit form of a video source: one set of address fields per kind of source
// (RTSP camera, HTTP stream, file on the server, OBS object, other types as XML).
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { ErrorBox, Field, notify } from '../components.js';
import { errorFor } from './video-shared.js';

export const SOURCE_TYPES = ['url', 'RTSP_STREAM', 'obs', 'camera', 'vcn', 'restful', 'VIDEO_PLATFORM', 'VIDEO_IMAGE_DB'];
const OTHER_TYPES = ['camera', 'vcn', 'restful', 'VIDEO_PLATFORM', 'VIDEO_IMAGE_DB'];
export const KINDS = ['rtsp', 'http', 'file', 'obs', 'xml'];

// The form's kind of an existing source.
export function kindOf(source) {
  if (source.type === 'obs') return 'obs';
  if (source.type === 'RTSP_STREAM') return 'rtsp';
  if (source.type === 'url') return /^file:/i.test(source.stream_path) ? 'file' : 'http';
  return 'xml';
}

function escapeXml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

// A path typed by the user as a file:// URL (percent-encoded: the server refuses spaces).
function fileUrl(path) {
  const text = path.trim();
  if (/^file:/i.test(text) || !text) return text;
  return `file://${encodeURI(text)}`;
}

function filePath(streamPath) {
  const rest = streamPath.replace(/^file:\/\//i, '');
  try {
    return decodeURI(rest);
  } catch {
    return rest;
  }
}

// The fields of the form for a source (or a blank new one).
function initialFields(source) {
  if (!source) {
    return { kind: 'rtsp', type: 'camera', name: '', url: '', path: '', bucket: '', object: '', xml: '',
      access: 'cloud', latitude: '', longitude: '', tags: '', groups: [] };
  }
  const kind = kindOf(source);
  const obs = kind === 'obs' ? /^obs:\/\/([^/]*)\/(.*)$/.exec(source.stream_path) : null;
  return {
    kind,
    type: source.type,
    name: source.video_source_name,
    url: kind === 'rtsp' || kind === 'http' ? source.stream_path : '',
    path: kind === 'file' ? filePath(source.stream_path) : '',
    bucket: obs ? obs[1] : '',
    object: obs ? obs[2] : '',
    xml: source.type_config,
    access: source.access_type,
    latitude: source.latitude,
    longitude: source.longitude,
    tags: source.tag.join(', '),
    groups: [],
  };
}

function typeOf(fields) {
  return { rtsp: 'RTSP_STREAM', http: 'url', file: 'url', obs: 'obs', xml: fields.type }[fields.kind];
}

function typeConfig(fields) {
  switch (fields.kind) {
    case 'rtsp':
    case 'http':
      return `<type_config><url_address>${escapeXml(fields.url.trim())}</url_address></type_config>`;
    case 'file':
      return `<type_config><url_address>${escapeXml(fileUrl(fields.path))}</url_address></type_config>`;
    case 'obs':
      return `<type_config><bucket>${escapeXml(fields.bucket.trim())}</bucket><path>${escapeXml(fields.object.trim())}</path></type_config>`;
    default:
      return fields.xml;
  }
}

function tagList(text) {
  return text.split(/[,，]/).map((tag) => tag.trim()).filter(Boolean);
}

const ADDRESS_FIELDS = ['kind', 'url', 'path', 'bucket', 'object', 'xml'];

// The body of CreateVideoSource or UpdateVideoSource. An edit that leaves the address alone
// sends the stored type_config back as it is (it may hold more than the address).
function requestBody(fields, source) {
  const stored = source ? initialFields(source) : null;
  const sameAddress = stored && ADDRESS_FIELDS.every((key) => fields[key] === stored[key]);
  const common = {
    video_source_name: fields.name.trim(),
    type_config: sameAddress ? source.type_config : typeConfig(fields),
    latitude: fields.latitude.trim(),
    longitude: fields.longitude.trim(),
    tag: tagList(fields.tags),
  };
  if (source) return common;
  const body = { ...common, access_type: fields.access, type: typeOf(fields) };
  if (fields.groups.length) body.video_group_ids = fields.groups;
  return body;
}

function AddressFields({ fields, set, error, editing }) {
  const addressError = errorFor(error, 'type_config');
  const input = (key, label, hint, extra = {}) => html`
    <${Field} label=${label} hint=${hint} error=${addressError}>
      <input name=${key} value=${fields[key]} autocomplete="off" spellcheck="false"
        placeholder=${extra.placeholder ?? ''} onInput=${(e) => set(key, e.currentTarget.value)} />
    <//>`;
  switch (fields.kind) {
    case 'rtsp':
      return input('url', t('video.form.rtspUrl'), t('video.kind.rtsp.hint'), { placeholder: 'rtsp://192.0.2.10:554/stream1' });
    case 'http':
      return input('url', t('video.form.httpUrl'), t('video.kind.http.hint'), { placeholder: 'https://example.com/live/index.m3u8' });
    case 'file':
      return input('path', t('video.form.filePath'), t('video.form.filePath.hint'), { placeholder: '/var/lib/openvias/videos/gate.mp4' });
    case 'obs':
      return html`
        <div class="video-form-pair">
          ${input('bucket', t('video.form.bucket'), t('video.kind.obs.hint'), { placeholder: 'my-bucket' })}
          ${input('object', t('video.form.objectPath'), null, { placeholder: 'cameras/gate.mp4' })}
        </div>`;
    default:
      return html`
        ${editing ? null : html`
          <${Field} label=${t('video.form.type')} hint=${t('video.kind.xml.hint')} error=${errorFor(error, 'type')}>
            <select name="type" value=${fields.type} onChange=${(e) => set('type', e.currentTarget.value)}>
              ${OTHER_TYPES.map((type) => html`<option value=${type}>${t(`video.type.${type}`)}</option>`)}
            </select>
          <//>`}
        <${Field} label=${t('video.form.typeConfig')} error=${addressError}>
          <textarea name="xml" rows="5" spellcheck="false" value=${fields.xml}
            onInput=${(e) => set('xml', e.currentTarget.value)}></textarea>
        <//>`;
  }
}

function KindChooser({ kind, onChange }) {
  return html`
    <fieldset class="video-kinds">
      <legend>${t('video.kind.legend')}</legend>
      ${KINDS.map((k) => html`
        <label class=${`video-kind${kind === k ? ' is-chosen' : ''}`}>
          <input type="radio" name="kind" value=${k} checked=${kind === k} onChange=${() => onChange(k)} />
          <span>${t(`video.kind.${k}`)}</span>
        </label>`)}
    </fieldset>`;
}

function GroupChooser({ groups, chosen, onChange, error }) {
  if (!groups) return null;
  const toggle = (id, on) => onChange(on ? [...chosen, id] : chosen.filter((g) => g !== id));
  return html`
    <fieldset class="video-group-choice">
      <legend>${t('video.form.groups')}</legend>
      <p class="hint">${t('video.form.groups.hint')}</p>
      ${groups.length === 0 ? html`<p class="muted">${t('video.form.groups.none')}</p>` : null}
      <div class="video-group-options">
        ${groups.map((g) => html`
          <label class="video-check">
            <input type="checkbox" checked=${chosen.includes(g.video_group_id)}
              onChange=${(e) => toggle(g.video_group_id, e.currentTarget.checked)} />
            <span>${g.video_group_name}</span>
          </label>`)}
      </div>
      ${error ? html`<p class="field-error" role="alert">${error}</p>` : null}
    </fieldset>`;
}

// source: the ShowVideoSourceDetail body when editing; groups: the groups to offer (create).
export function SourceForm({ source, groups, onDone, onCancel }) {
  const [fields, setFields] = useState(() => initialFields(source));
  const [error, setError] = useState(null);
  const [localError, setLocalError] = useState(null);
  const [saving, setSaving] = useState(false);
  const set = (key, value) => setFields((f) => ({ ...f, [key]: value }));
  const editing = Boolean(source);

  async function submit(event) {
    event.preventDefault();
    setError(null);
    setLocalError(null);
    // An empty name keeps the stored one in UpdateVideoSource: say so rather than save nothing.
    if (editing && !fields.name.trim()) {
      setLocalError(t('video.form.nameRequired'));
      return;
    }
    setSaving(true);
    try {
      const body = requestBody(fields, source);
      if (editing) {
        const saved = await api(`~/source/${encodeURIComponent(source.video_source_id)}`, { method: 'PUT', body });
        notify(t('video.form.saved'));
        onDone(saved.video_source_id);
      } else {
        const created = await api('~/source', { method: 'POST', body });
        notify(t('video.form.created', { name: body.video_source_name }));
        onDone(created.video_source_id);
      }
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  const nameError = localError ?? errorFor(error, 'video_source_name');
  const fieldErrorShown = nameError || ['type_config', 'type', 'latitude', 'longitude', 'tag', 'video_group_ids']
    .some((name) => errorFor(error, name));
  return html`
    <form class="video-form" onSubmit=${submit} novalidate>
      ${error && !fieldErrorShown ? html`<${ErrorBox} error=${error} />` : null}
      <${Field} label=${t('video.form.name')} hint=${t('video.form.name.hint')} error=${nameError}>
        <input name="name" value=${fields.name} maxlength="100" autocomplete="off"
          onInput=${(e) => set('name', e.currentTarget.value)} />
      <//>
      ${editing
        ? html`<p class="hint">${t(`video.kind.${fields.kind}`)} · ${t('video.form.typeFixed')}</p>`
        : html`<${KindChooser} kind=${fields.kind} onChange=${(k) => set('kind', k)} />`}
      <${AddressFields} fields=${fields} set=${set} error=${error} editing=${editing} />
      ${editing ? null : html`
        <${Field} label=${t('video.form.access')} error=${errorFor(error, 'access_type')}>
          <select name="access" value=${fields.access} onChange=${(e) => set('access', e.currentTarget.value)}>
            <option value="cloud">${t('video.access.cloud')}</option>
            <option value="edge">${t('video.access.edge')}</option>
          </select>
        <//>`}
      <div class="video-form-pair">
        <${Field} label=${t('video.form.latitude')} hint=${t('video.form.coordinates.hint')} error=${errorFor(error, 'latitude')}>
          <input name="latitude" value=${fields.latitude} inputmode="decimal" placeholder="31.23042"
            onInput=${(e) => set('latitude', e.currentTarget.value)} />
        <//>
        <${Field} label=${t('video.form.longitude')} error=${errorFor(error, 'longitude')}>
          <input name="longitude" value=${fields.longitude} inputmode="decimal" placeholder="121.47370"
            onInput=${(e) => set('longitude', e.currentTarget.value)} />
        <//>
      </div>
      <${Field} label=${t('video.form.tags')} hint=${t('video.form.tags.hint')} error=${errorFor(error, 'tag')}>
        <input name="tags" value=${fields.tags} autocomplete="off" onInput=${(e) => set('tags', e.currentTarget.value)} />
      <//>
      ${editing ? null : html`<${GroupChooser} groups=${groups} chosen=${fields.groups}
        onChange=${(g) => set('groups', g)} error=${errorFor(error, 'video_group_ids')} />`}
      <div class="form-actions">
        <button type="submit" class="primary" disabled=${saving}>
          ${saving ? t('video.form.saving') : editing ? t('video.form.save') : t('video.form.create')}
        </button>
        <button type="button" onClick=${onCancel}>${t('video.form.cancel')}</button>
      </div>
    </form>`;
}
