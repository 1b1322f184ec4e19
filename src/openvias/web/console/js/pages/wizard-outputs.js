// The wizard's outputs step: webhook (URL and headers), OBS, DIS and the Event Center, as
// the VIAS TaskOutput carries them. The API judges the values; its error shows here.
import { html } from '../lib.js';
import { Field } from '../components.js';
import { StepError } from './wizard-sources.js';
import { t } from '../i18n.js';

export function outputToForm(output = {}) {
  const headers = Object.entries(output.webhook?.headers ?? {});
  return {
    webhookOn: Boolean(output.webhook),
    url: output.webhook?.url ?? '',
    headers: headers.length ? headers : [['', '']],
    obsOn: Boolean(output.obs),
    bucket: output.obs?.bucket ?? '',
    path: output.obs?.path ?? '',
    disOn: Boolean(output.dis),
    stream: output.dis?.stream_name ?? '',
    eventCenter: Boolean(output.event_center),
  };
}

// The TaskOutput of the form; data_category of a loaded output is not edited and not kept.
export function outputFromForm(form) {
  const output = {};
  if (form.webhookOn) {
    const headers = {};
    for (const [name, value] of form.headers) if (name.trim()) headers[name.trim()] = value;
    output.webhook = { url: form.url.trim(), headers };
  }
  if (form.obsOn) output.obs = { bucket: form.bucket.trim(), path: form.path.trim() };
  if (form.disOn) output.dis = { stream_name: form.stream.trim() };
  if (form.eventCenter) output.event_center = true;
  return output;
}

export function OutputsForm({ value, onChange, error }) {
  const set = (changes) => onChange({ ...value, ...changes });
  const setHeader = (index, position, text) =>
    set({ headers: value.headers.map((pair, i) => (i === index ? (position === 0 ? [text, pair[1]] : [pair[0], text]) : pair)) });
  return html`
    <div class="outputs-form">
      <fieldset class=${value.webhookOn ? 'on' : 'off'}>
        <legend>
          <label class="field-check"><input type="checkbox" name="webhook-on" checked=${value.webhookOn} onChange=${(e) => set({ webhookOn: e.currentTarget.checked })} /> ${t('outputs.kind.webhook')}</label>
        </legend>
        ${value.webhookOn
          ? html`
              <${Field} label=${t('outputs.webhookUrl')} hint=${t('outputs.webhookUrlHint')}>
                <input name="webhook-url" inputmode="url" autocomplete="off" value=${value.url} maxlength="1000" onInput=${(e) => set({ url: e.currentTarget.value })} />
              </${Field}>
              <div class="headers" role="group" aria-label=${t('outputs.headers')}>
                <p class="field-label">${t('outputs.headers')} <span class="field-hint">${t('outputs.headersHint')}</span></p>
                ${value.headers.map(
                  ([name, text], index) => html`
                    <div class="header-row" key=${index}>
                      <${Field} label=${t('outputs.headerName', { n: index + 1 })}>
                        <input value=${name} autocomplete="off" onInput=${(e) => setHeader(index, 0, e.currentTarget.value)} />
                      </${Field}>
                      <${Field} label=${t('outputs.headerValue', { n: index + 1 })}>
                        <input value=${text} autocomplete="off" onInput=${(e) => setHeader(index, 1, e.currentTarget.value)} />
                      </${Field}>
                      <button type="button" class="danger" disabled=${value.headers.length === 1} onClick=${() => set({ headers: value.headers.filter((_, i) => i !== index) })}>
                        ${t('outputs.removeHeader', { n: index + 1 })}
                      </button>
                    </div>
                  `,
                )}
                <button type="button" disabled=${value.headers.length >= 10} onClick=${() => set({ headers: [...value.headers, ['', '']] })}>${t('outputs.addHeader')}</button>
              </div>
            `
          : null}
      </fieldset>
      <fieldset class=${value.obsOn ? 'on' : 'off'}>
        <legend>
          <label class="field-check"><input type="checkbox" name="obs-on" checked=${value.obsOn} onChange=${(e) => set({ obsOn: e.currentTarget.checked })} /> ${t('outputs.kind.obs')}</label>
        </legend>
        ${value.obsOn
          ? html`
              <${Field} label=${t('outputs.bucket')}><input name="obs-bucket" value=${value.bucket} maxlength="63" onInput=${(e) => set({ bucket: e.currentTarget.value })} /></${Field}>
              <${Field} label=${t('outputs.path')} hint=${t('outputs.pathHint')}><input name="obs-path" value=${value.path} maxlength="1023" onInput=${(e) => set({ path: e.currentTarget.value })} /></${Field}>
            `
          : null}
      </fieldset>
      <fieldset class=${value.disOn ? 'on' : 'off'}>
        <legend>
          <label class="field-check"><input type="checkbox" name="dis-on" checked=${value.disOn} onChange=${(e) => set({ disOn: e.currentTarget.checked })} /> ${t('outputs.kind.dis')}</label>
        </legend>
        ${value.disOn
          ? html`<${Field} label=${t('outputs.stream')} hint=${t('outputs.streamHint')}><input name="dis-stream" value=${value.stream} maxlength="64" onInput=${(e) => set({ stream: e.currentTarget.value })} /></${Field}>`
          : null}
      </fieldset>
      <label class="field-check">
        <input type="checkbox" name="event-center" checked=${value.eventCenter} onChange=${(e) => set({ eventCenter: e.currentTarget.checked })} />
        <span class="field-label">${t('outputs.kind.event_center')}</span>
      </label>
      <p class="field-hint">${t('outputs.eventCenterHint')}</p>
      <${StepError} error=${error} />
    </div>
  `;
}
