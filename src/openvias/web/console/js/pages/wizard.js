// The batch-task wizard (#/tasks/batch/new, #/tasks/batch/<id>/edit): name and algorithm,
// config.common, groups and sources, ROI, schedule, outputs, review and save. Create is
// CreateBatchTask, edit is UpdateBatchTask; a VIAS error shows on the step it concerns.
import { html, useEffect, useRef, useState } from '../lib.js';
import { api } from '../api.js';
import { ErrorBox, Field, Page, Spinner, notify, useAsync } from '../components.js';
import { link, navigate } from '../router.js';
import { t } from '../i18n.js';
import ConfigForm, { configDefaults, configProblems } from './config-form.js';
import RoiEditor, { fromTargetRoi, toTargetRoi } from './roi-editor.js';
import ScheduleGrid, { describeSchedule, emptySlots, fromSchedule, timezoneOptions, toSchedule } from './schedule-grid.js';
import { GroupSourcePicker, StepError, batchInput, loadBatch } from './wizard-sources.js';
import { OutputsForm, outputFromForm, outputToForm } from './wizard-outputs.js';

const STEPS = ['basics', 'config', 'sources', 'roi', 'schedule', 'outputs', 'review'];
const NAME_PATTERN = /^[\u4E00-\u9FA5a-zA-Z0-9_-]{1,100}$/;
const COMMON_ROI = '*';

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function blankForm() {
  return {
    name: '',
    description: '',
    serviceName: '',
    serviceId: '',
    version: '',
    orderId: '',
    common: {},
    groups: [],
    rois: {},
    scheduleOn: false,
    slots: emptySlots(),
    timezone: browserZone(),
    output: outputToForm({ event_center: true }),
  };
}

// The VIAS field an error names (params[0], else the "Invalid parameter: x." message).
export function errorField(error) {
  const param = error?.body?.params?.[0];
  if (param) return String(param);
  const match = /Invalid parameter: ([\w.[\]]+?)\.?$/.exec(error?.message ?? '');
  return match ? match[1] : '';
}

export function stepOfField(field) {
  if (!field) return 'review';
  if (field.includes('target_roi')) return 'roi';
  if (field.startsWith('config')) return 'config';
  if (field.startsWith('batch_input')) return 'sources';
  if (field.startsWith('schedule')) return 'schedule';
  if (field.startsWith('output')) return 'outputs';
  if (['name', 'description', 'service_name', 'service_version', 'resource_order_id'].includes(field.split('.')[0])) return 'basics';
  return 'review';
}

function roiString(entry) {
  if (!entry) return '';
  if (entry.shapes && entry.size) return toTargetRoi(entry.shapes, entry.size);
  return entry.text ?? '';
}

function buildBody(form, editing) {
  const common = { ...form.common };
  const commonRoi = roiString(form.rois[COMMON_ROI]);
  if (commonRoi) common.target_roi = commonRoi;
  else delete common.target_roi;
  const body = {
    name: form.name.trim(),
    description: form.description,
    config: { common },
    batch_input: batchInput(form.groups, (id) => roiString(form.rois[id])),
    output: outputFromForm(form.output),
  };
  if (!editing) {
    body.service_name = form.serviceName;
    body.service_version = form.version;
  }
  if (form.orderId.trim()) body.resource_order_id = form.orderId.trim();
  if (form.scheduleOn) {
    const schedule = toSchedule(form.slots, form.timezone);
    if (schedule) body.schedule = schedule;
  }
  return body;
}

// What keeps a step from being done, before the API is asked: { step: message }.
function problemsOf(form, schema) {
  const problems = {};
  if (!NAME_PATTERN.test(form.name.trim())) problems.basics = t('wizard.nameInvalid');
  else if (!form.serviceName || !form.version) problems.basics = t('wizard.chooseAlgorithm');
  if (Object.keys(configProblems(schema, form.common)).length) problems.config = t('wizard.fixFields');
  if (!form.groups.length) problems.sources = t('wizard.chooseGroup');
  else if (form.groups.some((g) => !g.all && !g.sources.length)) problems.sources = t('wizard.chooseSources');
  if (form.scheduleOn && !toSchedule(form.slots, form.timezone)) problems.schedule = t('schedule.empty');
  const output = outputFromForm(form.output);
  if (!Object.keys(output).length) problems.outputs = t('outputs.none');
  return problems;
}

function Basics({ form, patch, services, detail, editing }) {
  const list = services.data?.service_list ?? [];
  const versions = detail.data?.alg_versions ?? (form.version ? [form.version] : []);
  return html`
    <div class="form-grid">
      <${Field} label=${t('wizard.name')} hint=${t('wizard.nameHint')}>
        <input name="name" value=${form.name} maxlength="100" required onInput=${(e) => patch({ name: e.currentTarget.value })} />
      </${Field}>
      <${Field} label=${t('wizard.description')}>
        <textarea name="description" rows="2" maxlength="500" value=${form.description} onInput=${(e) => patch({ description: e.currentTarget.value })}></textarea>
      </${Field}>
      <${Field} label=${t('wizard.algorithm')} hint=${editing ? t('wizard.algorithmFixed') : detail.data?.description}>
        <select
          name="algorithm"
          value=${form.serviceName}
          disabled=${editing}
          onChange=${(e) => {
            const chosen = list.find((s) => s.service_name === e.currentTarget.value);
            patch({ serviceName: chosen?.service_name ?? '', serviceId: chosen?.service_id ?? '', version: chosen?.alg_version ?? '', common: {}, rois: {} });
          }}
        >
          <option value="">${t('wizard.chooseAlgorithm')}</option>
          ${list.map((s) => html`<option value=${s.service_name}>${t('wizard.algorithmOption', { name: s.service_name, type: s.deploy_type, status: t(`tc.algStatus.${s.alg_status}`) })}</option>`)}
          ${editing && !list.some((s) => s.service_name === form.serviceName) ? html`<option value=${form.serviceName}>${form.serviceName}</option>` : null}
        </select>
      </${Field}>
      <${Field} label=${t('wizard.version')}>
        <select name="version" value=${form.version} disabled=${editing || !versions.length} onChange=${(e) => patch({ version: e.currentTarget.value })}>
          ${versions.map((v) => html`<option value=${v}>${v}</option>`)}
        </select>
      </${Field}>
      <${Field} label=${t('wizard.orderId')} hint=${t('wizard.orderIdHint')}>
        <input name="resource_order_id" value=${form.orderId} maxlength="36" onInput=${(e) => patch({ orderId: e.currentTarget.value })} />
      </${Field}>
      <${ErrorBox} error=${services.error || detail.error} />
    </div>
  `;
}

function RoiStep({ form, setForm, allowLines, error }) {
  const chosen = form.groups.flatMap((g) => (g.all ? [] : g.sources.map((s) => ({ ...s, group: g.name }))));
  const anyAll = form.groups.some((g) => g.all);
  const targets = [...chosen.map((s) => ({ key: s.id, label: t('roi.targetSource', { source: s.name, group: s.group }) })), ...(anyAll || !chosen.length ? [{ key: COMMON_ROI, label: t('roi.targetCommon') }] : [])];
  const [target, setTarget] = useState(targets[0]?.key ?? COMMON_ROI);
  const current = targets.some((x) => x.key === target) ? target : targets[0]?.key ?? COMMON_ROI;
  const firstAll = form.groups.find((g) => g.all);
  const commonSource = useAsync(async (signal) => {
    if (current !== COMMON_ROI) return null;
    if (chosen[0]) return chosen[0].id;
    if (!firstAll) return null;
    const found = await api('~/source/sources', { signal, query: { video_group_id: firstAll.id, is_paged: true, page_size: 5, page_num: 1 } });
    return found?.video_source_list?.[0]?.video_source_id ?? null;
  }, [current, chosen[0]?.id, firstAll?.id]);
  const sourceId = current === COMMON_ROI ? commonSource.data : current;
  const entry = form.rois[current] ?? { text: '', shapes: [], size: null };
  const setEntry = (changes) => setForm((f) => ({ ...f, rois: { ...f.rois, [current]: { ...(f.rois[current] ?? { text: '', shapes: [], size: null }), ...changes } } }));
  const onSize = (size) =>
    setForm((f) => {
      const previous = f.rois[current] ?? { text: '', shapes: [], size: null };
      let shapes = previous.shapes;
      if (!shapes) {
        try {
          shapes = fromTargetRoi(previous.text, size);
        } catch {
          shapes = [];
        }
      }
      return { ...f, rois: { ...f.rois, [current]: { ...previous, shapes, size } } };
    });
  const copyToAll = () =>
    setForm((f) => {
      const rois = { ...f.rois };
      // Shapes are fractions of the picture: a source whose size is not known yet takes
      // this one's until its own snapshot is shown.
      for (const other of targets) if (other.key !== current) rois[other.key] = { text: '', shapes: entry.shapes ?? [], size: rois[other.key]?.size ?? entry.size };
      return { ...f, rois };
    });
  return html`
    <div class="roi-step">
      <${Field} label=${t('roi.target')} hint=${current === COMMON_ROI ? t('roi.targetCommonHint') : t('roi.targetSourceHint')}>
        <select name="roi-target" value=${current} onChange=${(e) => setTarget(e.currentTarget.value)}>
          ${targets.map((x) => html`<option value=${x.key}>${x.label}${roiString(form.rois[x.key]) ? ' ✓' : ''}</option>`)}
        </select>
      </${Field}>
      ${targets.length > 1 ? html`<button type="button" onClick=${copyToAll} disabled=${!(entry.shapes ?? []).length}>${t('roi.copyToAll')}</button>` : null}
      ${sourceId
        ? html`<${RoiEditor} key=${current} sourceId=${sourceId} shapes=${entry.shapes ?? []} allowLines=${allowLines} onSize=${onSize} onChange=${(shapes) => setEntry({ shapes, text: '' })} rawText=${entry.text ?? ''} onRawText=${(text) => setEntry({ text, shapes: null })} />`
        : commonSource.loading
          ? html`<${Spinner} />`
          : html`<p class="field-hint">${t('roi.noSource')}</p><${ErrorBox} error=${commonSource.error} />`}
      <${StepError} error=${error} />
    </div>
  `;
}

function ScheduleStep({ form, patch, error, approximated }) {
  const zones = timezoneOptions(form.timezone);
  return html`
    <div class="schedule-step">
      <label class="field-check">
        <input type="checkbox" name="schedule-on" checked=${form.scheduleOn} onChange=${(e) => patch({ scheduleOn: e.currentTarget.checked })} />
        <span class="field-label">${t('schedule.enable')}</span>
      </label>
      <p class="field-hint">${form.scheduleOn ? t('schedule.enabledHint') : t('schedule.continuousHint')}</p>
      ${form.scheduleOn
        ? html`
            <${Field} label=${t('schedule.timezone')} hint=${t('schedule.timezoneHint')}>
              <select name="timezone" value=${form.timezone} onChange=${(e) => patch({ timezone: e.currentTarget.value })}>
                ${zones.map(([group, options]) => html`<optgroup label=${group}>${options.map((zone) => html`<option value=${zone}>${zone}</option>`)}</optgroup>`)}
              </select>
            </${Field}>
            ${approximated ? html`<p class="field-hint">${t('schedule.approximated')}</p>` : null}
            <${ScheduleGrid} slots=${form.slots} onChange=${(slots) => patch({ slots })} />
          `
        : null}
      <${StepError} error=${error} />
    </div>
  `;
}

function Review({ form, body, services }) {
  const service = (services.data?.service_list ?? []).find((s) => s.service_name === form.serviceName);
  const schedule = body.schedule;
  const rois = Object.entries(form.rois).map(([key, entry]) => [key, roiString(entry)]).filter(([, text]) => text);
  const sourceName = (id) => form.groups.flatMap((g) => g.sources).find((s) => s.id === id)?.name ?? id;
  return html`
    <dl class="review">
      <dt>${t('wizard.name')}</dt><dd>${body.name}</dd>
      <dt>${t('wizard.algorithm')}</dt><dd>${form.serviceName} ${form.version} ${service ? `(${service.deploy_type})` : ''}</dd>
      <dt>${t('wizard.groupsAndSources')}</dt>
      <dd>${form.groups.map((g) => html`<div key=${g.id}>${g.name}: ${g.all ? t('wizard.allSources') : g.sources.map((s) => s.name).join(', ')}</div>`)}</dd>
      <dt>${t('wizard.stepRoi')}</dt>
      <dd>${rois.length ? rois.map(([key, text]) => html`<div key=${key}>${key === COMMON_ROI ? t('roi.targetCommon') : sourceName(key)}: <code class="wrap">${text}</code></div>`) : t('roi.wholeFrame')}</dd>
      <dt>${t('wizard.stepSchedule')}</dt>
      <dd>${schedule ? html`${describeSchedule(schedule)} <span class="muted">(${schedule.timezone})</span>` : t('schedule.continuous')}</dd>
      <dt>${t('wizard.stepOutputs')}</dt>
      <dd>${Object.keys(body.output).map((kind) => t(`outputs.kind.${kind}`)).join(', ') || '—'}</dd>
    </dl>
    <details><summary>${t('wizard.requestBody')}</summary><pre class="json">${JSON.stringify(body, null, 2)}</pre></details>
  `;
}

export default function WizardPage({ route }) {
  const editId = route.parts[2] && route.parts[2] !== 'new' ? route.parts[2] : null;
  const [form, setForm] = useState(blankForm);
  const [step, setStep] = useState('basics');
  const [errors, setErrors] = useState({});
  // Steps left (or all, once saving was tried): their problems are shown from then on.
  const [touched, setTouched] = useState(new Set());
  const [saving, setSaving] = useState(false);
  const [approximated, setApproximated] = useState(false);
  const headingRef = useRef(null);
  const patch = (changes) => setForm((f) => ({ ...f, ...changes }));

  const loaded = useAsync(async (signal) => {
    if (!editId) return null;
    const batch = await loadBatch(editId, signal);
    const schedule = fromSchedule(batch.schedule);
    setApproximated(schedule.approximated);
    setForm({
      ...blankForm(),
      ...batch,
      scheduleOn: Boolean(batch.schedule),
      slots: schedule.slots,
      timezone: schedule.timezone ?? browserZone(),
      output: outputToForm(batch.output),
    });
    return batch;
  }, [editId]);
  const services = useAsync((signal) => api('~/algorithm/services/user', { signal }), []);
  const serviceId = form.serviceId || (services.data?.service_list ?? []).find((s) => s.service_name === form.serviceName)?.service_id;
  const detail = useAsync((signal) => (serviceId ? api(`~/algorithm/services/${serviceId}`, { signal }) : Promise.resolve(null)), [serviceId]);
  const schema = detail.data?.config_schema;
  useEffect(() => {
    if (schema) setForm((f) => ({ ...f, common: configDefaults(schema, f.common) }));
  }, [schema]);
  useEffect(() => {
    headingRef.current?.focus();
  }, [step]);

  const editing = Boolean(editId);
  const title = editing ? t('wizard.editTitle', { name: loaded.data?.name ?? '' }) : t('wizard.newTitle');
  if (editing && loaded.loading && !loaded.data) return html`<${Page} title=${title}><${Spinner} /></${Page}>`;
  if (editing && loaded.error) return html`<${Page} title=${title}><${ErrorBox} error=${loaded.error} /><a href=${link('/tasks/batch')}>${t('wizard.backToList')}</a></${Page}>`;

  const allowLines = Boolean(schema?.properties?.line_detection_sw);
  const body = buildBody(form, editing);
  const index = STEPS.indexOf(step);
  const configErrors = { ...configProblems(schema, form.common) };
  const configField = errorField(errors.config).replace(/^config\.common\./, '');
  if (errors.config && configField) configErrors[configField] = errors.config.message;

  const found = problemsOf(form, schema);
  const problems = Object.fromEntries(Object.entries(found).filter(([key]) => touched.has(key)));
  const go = (next) => {
    setTouched((seen) => new Set([...seen, step]));
    if (STEPS.indexOf(next) > index && found[step]) return;
    setStep(next);
  };
  const save = async () => {
    setTouched(new Set(STEPS));
    const firstProblem = STEPS.find((s) => found[s]);
    if (firstProblem) {
      setStep(firstProblem);
      return;
    }
    setSaving(true);
    setErrors({});
    try {
      const result = editing
        ? await api(`~/batch-tasks/${encodeURIComponent(editId)}`, { method: 'PUT', body })
        : await api('~/batch-tasks', { method: 'POST', body });
      notify(t(editing ? 'wizard.saved' : 'wizard.created', { name: body.name, n: result?.succeed_count ?? 0 }));
      if (result?.failed_count) notify(t('wizard.partial', { n: result.failed_count, errors: (result.error_list ?? []).join('; ') }), 'error');
      navigate('/tasks/batch', { name: body.name });
    } catch (error) {
      const where = stepOfField(errorField(error));
      setErrors({ [where]: error });
      setStep(where);
      notify(t('wizard.refused', { message: error.message }), 'error');
    } finally {
      setSaving(false);
    }
  };

  const stepTitle = (key) => t(`wizard.step${key[0].toUpperCase()}${key.slice(1)}`);
  const content = {
    basics: () => html`<${Basics} form=${form} patch=${patch} services=${services} detail=${detail} editing=${editing} /><${StepError} error=${errors.basics} />`,
    config: () =>
      schema
        ? html`<${ConfigForm} schema=${schema} values=${form.common} onChange=${(common) => patch({ common })} errors=${configErrors} /><${StepError} error=${errors.config} />`
        : html`<p class="field-hint">${t('wizard.chooseAlgorithmFirst')}</p>`,
    sources: () => html`<${GroupSourcePicker} groups=${form.groups} onChange=${(groups) => patch({ groups })} error=${errors.sources} />`,
    roi: () => html`<${RoiStep} form=${form} setForm=${setForm} allowLines=${allowLines} error=${errors.roi} />`,
    schedule: () => html`<${ScheduleStep} form=${form} patch=${patch} error=${errors.schedule} approximated=${approximated} />`,
    outputs: () => html`<${OutputsForm} value=${form.output} onChange=${(output) => patch({ output })} error=${errors.outputs} />`,
    review: () => html`<${Review} form=${form} body=${body} services=${services} /><${StepError} error=${errors.review} />`,
  };

  return html`
    <${Page} title=${title} actions=${html`<a class="button" href=${link('/tasks/batch')}>${t('common.cancel')}</a>`}>
      <nav class="wizard-nav" aria-label=${t('wizard.steps')}>
        <ol class="wizard-steps">
          ${STEPS.map(
            (key, i) => html`
              <li key=${key} class=${`${key === step ? 'current' : ''} ${errors[key] || problems[key] ? 'has-error' : ''}`}>
                <button type="button" aria-current=${key === step ? 'step' : undefined} onClick=${() => go(key)}>
                  <span class="step-number">${i + 1}</span> ${stepTitle(key)}${errors[key] || problems[key] ? html` <span class="visually-hidden">${t('wizard.stepHasError')}</span>` : ''}
                </button>
              </li>
            `,
          )}
        </ol>
      </nav>
      <section class="wizard-step" aria-labelledby="wizard-step-title">
        <h2 id="wizard-step-title" tabindex="-1" ref=${headingRef}>${t('wizard.stepOf', { n: index + 1, total: STEPS.length, title: stepTitle(step) })}</h2>
        ${problems[step] ? html`<p class="field-error" role="alert">${problems[step]}</p>` : null}
        ${content[step]()}
      </section>
      <div class="wizard-actions">
        <button type="button" disabled=${index === 0} onClick=${() => go(STEPS[index - 1])}>${t('wizard.back')}</button>
        ${step === 'review'
          ? html`<button type="button" class="primary" disabled=${saving} aria-busy=${saving} onClick=${save}>${saving ? t('wizard.saving') : editing ? t('wizard.saveChanges') : t('wizard.create')}</button>`
          : html`<button type="button" class="primary" onClick=${() => go(STEPS[index + 1])}>${t('wizard.next')}</button>`}
      </div>
    </${Page}>
  `;
}
