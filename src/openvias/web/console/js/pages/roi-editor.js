// The ROI editor of the wizard: polygons and lines drawn with the mouse, touch or keyboard
// on a source's snapshot, saved as the VIAS target_roi string (docs/console.md).
//
// Shapes are kept in fractions of the picture (0..1), so they do not depend on how large the
// snapshot is shown; toTargetRoi() maps them to the source's pixels, which is what target_roi
// coordinates refer to (the X-Openvias-Source-Width/Height headers of the snapshot).
import { html, useEffect, useRef, useState } from '../lib.js';
import { api } from '../api.js';
import { ErrorBox, Field, Spinner } from '../components.js';
import { t } from '../i18n.js';

export const MAX_ROI_LENGTH = 2048;
// Screen pixels within which a click on the first point closes a polygon or grabs a vertex.
const SNAP_PX = 14;
const KEY_STEP = 0.01;

function pixel(fraction, size) {
  return Math.min(size, Math.max(0, Math.round(fraction * size)));
}

// The shapes as the VIAS target_roi string ('' when there are none: the whole frame).
// shapes: [{ kind: 'polygon'|'line', name, points: [[fx, fy], ...], side1, side2 }] with
// fractions of the picture; sourceSize: { width, height } in source pixels. Unfinished
// shapes (a polygon under 3 points, a line without 2 distinct points) are left out.
export function toTargetRoi(shapes, sourceSize) {
  const { width, height } = sourceSize;
  const toPixels = (points) => points.map(([x, y]) => [pixel(x, width), pixel(y, height)]);
  const lines = [];
  const polygons = [];
  for (const shape of shapes) {
    const data = toPixels(shape.points);
    const name = (shape.name ?? '').trim();
    if (shape.kind === 'line') {
      if (data.length !== 2 || (data[0][0] === data[1][0] && data[0][1] === data[1][1])) continue;
      const line = { data };
      if (name) line.name = name;
      const side1 = (shape.side1 ?? '').trim();
      const side2 = (shape.side2 ?? '').trim();
      if (side1 || side2) line.properties = { side1_name: side1, side2_name: side2 };
      lines.push(line);
    } else {
      if (data.length < 3) continue;
      const polygon = { data };
      if (name) polygon.name = name;
      polygons.push(polygon);
    }
  }
  const document = {};
  if (lines.length) document.lines = lines;
  if (polygons.length) document.polygons = polygons;
  return lines.length || polygons.length ? JSON.stringify(document) : '';
}

// The shapes of a target_roi string (the inverse of toTargetRoi); throws on a string that
// is not a JSON object of polygons and lines.
export function fromTargetRoi(text, sourceSize) {
  if (!text || !text.trim()) return [];
  const document = JSON.parse(text);
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new Error(t('roi.notObject'));
  const { width, height } = sourceSize;
  const toFractions = (data) => {
    if (!Array.isArray(data)) throw new Error(t('roi.notObject'));
    return data.map(([x, y]) => [Number(x) / width, Number(y) / height]);
  };
  const shapes = [];
  for (const line of document.lines ?? []) {
    shapes.push({
      kind: 'line',
      name: line.name ?? '',
      points: toFractions(line.data),
      side1: line.properties?.side1_name ?? '',
      side2: line.properties?.side2_name ?? '',
    });
  }
  for (const polygon of document.polygons ?? []) {
    shapes.push({ kind: 'polygon', name: polygon.name ?? '', points: toFractions(polygon.data) });
  }
  return shapes;
}

// Which way side 1 lies from a line, in picture pixels: VIAS side 1 is the left side of a
// non-horizontal line and the upper side of a horizontal one (domain/geometry.py).
function sideOneNormal([ax, ay], [bx, by]) {
  if (ay === by) return [0, -1];
  let dx = bx - ax;
  let dy = by - ay;
  if (dy < 0) {
    dx = -dx;
    dy = -dy;
  }
  const length = Math.hypot(dx, dy);
  // Pointing downwards, (dy, -dx) points right (side 2); side 1 is the opposite.
  return [-dy / length, dx / length];
}

function useSnapshot(sourceId) {
  const [state, setState] = useState({ url: null, size: null, error: null, loading: true });
  useEffect(() => {
    if (!sourceId) return undefined;
    let live = true;
    let url = null;
    const controller = new AbortController();
    setState({ url: null, size: null, error: null, loading: true });
    api(`~/source/sources/${encodeURIComponent(sourceId)}/snapshot`, { raw: true, signal: controller.signal, headers: { Accept: 'image/jpeg' } })
      .then(async (response) => {
        const width = Number(response.headers.get('X-Openvias-Source-Width'));
        const height = Number(response.headers.get('X-Openvias-Source-Height'));
        const blob = await response.blob();
        if (!live) return;
        url = URL.createObjectURL(blob);
        setState({ url, size: width > 0 && height > 0 ? { width, height } : null, error: null, loading: false });
      })
      .catch((error) => {
        if (live && error?.name !== 'AbortError') setState({ url: null, size: null, error, loading: false });
      });
    return () => {
      live = false;
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [sourceId]);
  return state;
}

function shapeLabel(shape, index) {
  const name = shape.name?.trim();
  if (shape.kind === 'line') return name ? t('roi.lineNamed', { name }) : t('roi.lineN', { n: index + 1 });
  return name ? t('roi.polygonNamed', { name }) : t('roi.polygonN', { n: index + 1 });
}

// props: sourceId, shapes, onChange(shapes), onSize(size) (source pixel size once known),
// allowLines (the algorithm counts or detects line crossings), error (a VIAS error to show);
// without a snapshot, rawText/onRawText(text) edit the target_roi string as it is.
export default function RoiEditor({ sourceId, shapes, onChange, onSize, allowLines = true, error, rawText = '', onRawText }) {
  const snapshot = useSnapshot(sourceId);
  const [natural, setNatural] = useState(null);
  const [mode, setMode] = useState('polygon');
  const [draft, setDraft] = useState([]);
  const [selected, setSelected] = useState(-1);
  const [cursor, setCursor] = useState([0.5, 0.5]);
  const [showCursor, setShowCursor] = useState(false);
  const [textError, setTextError] = useState('');
  const svgRef = useRef(null);
  const dragRef = useRef(null);
  // How wide the picture is shown (CSS pixels): lines, handles and labels keep a readable
  // size on the screen whatever the source's resolution.
  const [shownWidth, setShownWidth] = useState(0);
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg || typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(() => setShownWidth(svg.getBoundingClientRect().width));
    observer.observe(svg);
    return () => observer.disconnect();
  }, [natural]);

  // The source's pixel size: the headers, else the picture's own size (same proportions).
  const size = snapshot.size ?? natural;
  useEffect(() => {
    if (size) onSize?.(size);
  }, [size?.width, size?.height]);
  useEffect(() => {
    setDraft([]);
    setSelected(-1);
  }, [sourceId]);

  const viewWidth = natural?.width ?? size?.width ?? 1600;
  const viewHeight = natural?.height ?? size?.height ?? 900;
  const scaleX = (fx) => fx * viewWidth;
  const scaleY = (fy) => fy * viewHeight;

  const fractionAt = (event) => {
    const rect = svgRef.current.getBoundingClientRect();
    return [
      Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)),
      Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height)),
    ];
  };
  const screenDistance = (a, b) => {
    const rect = svgRef.current.getBoundingClientRect();
    return Math.hypot((a[0] - b[0]) * rect.width, (a[1] - b[1]) * rect.height);
  };

  const finishPolygon = (points = draft) => {
    if (points.length < 3) return;
    const next = [...shapes, { kind: 'polygon', name: '', points }];
    onChange(next);
    setDraft([]);
    setSelected(next.length - 1);
  };

  const addPoint = (point) => {
    if (mode === 'polygon') {
      if (draft.length >= 3 && screenDistance(point, draft[0]) <= SNAP_PX) {
        finishPolygon();
        return;
      }
      setDraft([...draft, point]);
    } else if (mode === 'line') {
      if (!draft.length) {
        setDraft([point]);
        return;
      }
      if (screenDistance(point, draft[0]) < 2) return;
      const next = [...shapes, { kind: 'line', name: '', points: [draft[0], point], side1: '', side2: '' }];
      onChange(next);
      setDraft([]);
      setSelected(next.length - 1);
    }
  };

  const vertexAt = (point) => {
    const order = selected >= 0 ? [selected, ...shapes.keys()] : [...shapes.keys()];
    for (const index of order) {
      const vertex = shapes[index]?.points.findIndex((p) => screenDistance(p, point) <= SNAP_PX);
      if (vertex >= 0) return { index, vertex };
    }
    return null;
  };

  const onPointerDown = (event) => {
    if (!size || event.button > 0) return;
    const point = fractionAt(event);
    setShowCursor(false);
    if (mode === 'select') {
      const hit = vertexAt(point);
      if (hit) {
        event.currentTarget.setPointerCapture?.(event.pointerId);
        dragRef.current = hit;
        setSelected(hit.index);
      }
    }
  };
  const onPointerMove = (event) => {
    const drag = dragRef.current;
    if (!drag) return;
    const point = fractionAt(event);
    onChange(shapes.map((shape, i) => (i === drag.index ? { ...shape, points: shape.points.map((p, v) => (v === drag.vertex ? point : p)) } : shape)));
  };
  const onPointerUp = () => {
    dragRef.current = null;
  };
  const onClick = (event) => {
    if (!size) return;
    if (mode === 'select') {
      const target = event.target.closest?.('[data-shape]');
      if (target) setSelected(Number(target.dataset.shape));
      return;
    }
    addPoint(fractionAt(event));
  };

  // Keyboard drawing: arrows move a cross-hair (Shift: 10 times further), Enter or Space
  // adds a point there, C closes the polygon, Backspace removes the last point, Escape
  // drops the unfinished shape.
  const onKeyDown = (event) => {
    const step = event.shiftKey ? KEY_STEP * 10 : KEY_STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      event.preventDefault();
      const [dx, dy] = moves[event.key];
      setShowCursor(true);
      setCursor(([x, y]) => [Math.min(1, Math.max(0, x + dx)), Math.min(1, Math.max(0, y + dy))]);
    } else if ((event.key === 'Enter' || event.key === ' ') && mode !== 'select') {
      event.preventDefault();
      setShowCursor(true);
      addPoint(cursor);
    } else if (event.key === 'c' || event.key === 'C') {
      event.preventDefault();
      finishPolygon();
    } else if (event.key === 'Backspace') {
      event.preventDefault();
      setDraft(draft.slice(0, -1));
    } else if (event.key === 'Escape') {
      setDraft([]);
    } else if (event.key === 'Delete' && selected >= 0) {
      event.preventDefault();
      removeShape(selected);
    }
  };

  const removeShape = (index) => {
    onChange(shapes.filter((_, i) => i !== index));
    setSelected(-1);
  };
  const updateShape = (index, changes) => onChange(shapes.map((shape, i) => (i === index ? { ...shape, ...changes } : shape)));

  const roiText = size ? toTargetRoi(shapes, size) : rawText;
  const tooLong = roiText.length > MAX_ROI_LENGTH;
  const applyText = (text) => {
    if (!size) {
      onRawText?.(text.trim());
      return;
    }
    try {
      onChange(fromTargetRoi(text, size));
      setTextError('');
    } catch (problem) {
      setTextError(t('roi.textInvalid', { message: problem.message }));
    }
  };

  const chosen = selected >= 0 ? shapes[selected] : null;
  const perPixel = shownWidth ? viewWidth / shownWidth : viewWidth / 800;
  const stroke = 2 * perPixel;
  const handle = 7 * perPixel;
  const fontSize = 14 * perPixel;
  const modes = [
    ['polygon', t('roi.modePolygon')],
    ...(allowLines ? [['line', t('roi.modeLine')]] : []),
    ['select', t('roi.modeSelect')],
  ];

  const renderLine = (shape, index) => {
    const [a, b] = shape.points;
    const pa = [scaleX(a[0]), scaleY(a[1])];
    const pb = [scaleX(b[0]), scaleY(b[1])];
    const [nx, ny] = sideOneNormal(pa, pb);
    const mid = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2];
    const reach = 28 * perPixel;
    const s1 = [mid[0] + nx * reach, mid[1] + ny * reach];
    const s2 = [mid[0] - nx * reach, mid[1] - ny * reach];
    return html`
      <g key=${`l${index}`} data-shape=${index} class=${`roi-line ${index === selected ? 'roi-selected' : ''}`}>
        <line x1=${pa[0]} y1=${pa[1]} x2=${pb[0]} y2=${pb[1]} stroke-width=${stroke * 1.5} />
        <line class="roi-direction" x1=${s1[0]} y1=${s1[1]} x2=${s2[0]} y2=${s2[1]} stroke-width=${stroke} marker-end="url(#roi-arrow)" />
        <text x=${s1[0]} y=${s1[1]} font-size=${fontSize} text-anchor="middle">${shape.side1 || t('roi.side1Default')}</text>
        <text x=${s2[0]} y=${s2[1]} font-size=${fontSize} text-anchor="middle" dominant-baseline="hanging">${shape.side2 || t('roi.side2Default')}</text>
      </g>
    `;
  };
  const renderPolygon = (shape, index) => html`
    <polygon
      key=${`p${index}`}
      data-shape=${index}
      class=${`roi-polygon ${index === selected ? 'roi-selected' : ''}`}
      points=${shape.points.map(([x, y]) => `${scaleX(x)},${scaleY(y)}`).join(' ')}
      stroke-width=${stroke}
    />
  `;

  return html`
    <div class="roi-editor">
      <div class="roi-toolbar" role="radiogroup" aria-label=${t('roi.tools')}>
        ${modes.map(
          ([value, label]) => html`
            <label class=${`roi-tool ${mode === value ? 'active' : ''}`} key=${value}>
              <input type="radio" name="roi-mode" value=${value} checked=${mode === value} onChange=${() => { setMode(value); setDraft([]); }} />
              ${label}
            </label>
          `,
        )}
        <button type="button" onClick=${() => finishPolygon()} disabled=${mode !== 'polygon' || draft.length < 3}>${t('roi.closePolygon')}</button>
        <button type="button" onClick=${() => setDraft([])} disabled=${!draft.length}>${t('roi.cancelShape')}</button>
        <button type="button" class="danger" onClick=${() => { onChange([]); setSelected(-1); }} disabled=${!shapes.length}>${t('roi.clearAll')}</button>
      </div>
      <p class="field-hint" id="roi-help">${mode === 'line' ? t('roi.helpLine') : mode === 'select' ? t('roi.helpSelect') : t('roi.helpPolygon')} ${t('roi.helpKeys')}</p>
      ${snapshot.loading ? html`<p><${Spinner} /> ${t('roi.loadingSnapshot')}</p>` : null}
      ${snapshot.error ? html`<${ErrorBox} error=${snapshot.error} /><p class="field-hint">${t('roi.noSnapshot')}</p>` : null}
      ${snapshot.url
        ? html`
            <div class="roi-stage">
              <img src=${snapshot.url} alt=${t('roi.snapshotAlt')} onLoad=${(e) => setNatural({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })} />
              ${natural
                ? html`
                    <svg
                      ref=${svgRef}
                      class=${`roi-canvas roi-mode-${mode}`}
                      data-testid="roi-canvas"
                      viewBox=${`0 0 ${viewWidth} ${viewHeight}`}
                      preserveAspectRatio="none"
                      tabindex="0"
                      role="application"
                      aria-label=${t('roi.canvasLabel')}
                      aria-describedby="roi-help"
                      onPointerDown=${onPointerDown}
                      onPointerMove=${onPointerMove}
                      onPointerUp=${onPointerUp}
                      onPointerCancel=${onPointerUp}
                      onClick=${onClick}
                      onKeyDown=${onKeyDown}
                      onFocus=${() => setShowCursor(true)}
                      onBlur=${() => setShowCursor(false)}
                    >
                      <defs>
                        <marker id="roi-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
                          <path d="M 0 0 L 10 5 L 0 10 z" class="roi-arrow-head" />
                        </marker>
                      </defs>
                      ${shapes.map((shape, index) => (shape.kind === 'line' ? renderLine(shape, index) : renderPolygon(shape, index)))}
                      ${draft.length
                        ? html`<polyline class="roi-draft" points=${draft.map(([x, y]) => `${scaleX(x)},${scaleY(y)}`).join(' ')} stroke-width=${stroke} />`
                        : null}
                      ${draft.map(([x, y], i) => html`<circle key=${`d${i}`} class=${i === 0 ? 'roi-draft-first' : 'roi-draft-point'} cx=${scaleX(x)} cy=${scaleY(y)} r=${handle} />`)}
                      ${mode === 'select' && chosen
                        ? chosen.points.map(([x, y], i) => html`<circle key=${`h${i}`} class="roi-handle" cx=${scaleX(x)} cy=${scaleY(y)} r=${handle} />`)
                        : null}
                      ${showCursor
                        ? html`<g class="roi-cursor">
                            <line x1=${scaleX(cursor[0]) - handle * 2} y1=${scaleY(cursor[1])} x2=${scaleX(cursor[0]) + handle * 2} y2=${scaleY(cursor[1])} stroke-width=${stroke} />
                            <line x1=${scaleX(cursor[0])} y1=${scaleY(cursor[1]) - handle * 2} x2=${scaleX(cursor[0])} y2=${scaleY(cursor[1]) + handle * 2} stroke-width=${stroke} />
                          </g>`
                        : null}
                    </svg>
                  `
                : null}
            </div>
          `
        : null}
      ${size ? html`<p class="field-hint">${t('roi.sourceSize', { width: size.width, height: size.height })}</p>` : null}
      ${draft.length ? html`<p class="field-hint" aria-live="polite">${t('roi.draftPoints', { n: draft.length })}</p>` : null}
      <ul class="roi-shapes" aria-label=${t('roi.shapes')}>
        ${shapes.map(
          (shape, index) => html`
            <li key=${index} class=${index === selected ? 'selected' : ''}>
              <button type="button" class="link-button" aria-pressed=${index === selected} onClick=${() => setSelected(index === selected ? -1 : index)}>
                ${shapeLabel(shape, index)} · ${t('roi.points', { n: shape.points.length })}
              </button>
              <button type="button" class="danger" onClick=${() => removeShape(index)} aria-label=${t('roi.deleteShape', { shape: shapeLabel(shape, index) })}>${t('tc.delete')}</button>
            </li>
          `,
        )}
      </ul>
      ${!shapes.length ? html`<p class="field-hint">${t('roi.wholeFrame')}</p>` : null}
      ${chosen
        ? html`
            <fieldset class="roi-shape-form">
              <legend>${shapeLabel(chosen, selected)}</legend>
              <${Field} label=${t('roi.shapeName')} hint=${t('roi.shapeNameHint')}>
                <input value=${chosen.name} maxlength="64" onInput=${(e) => updateShape(selected, { name: e.currentTarget.value })} />
              </${Field}>
              ${chosen.kind === 'line'
                ? html`
                    <${Field} label=${t('roi.side1')} hint=${t('roi.side1Hint')}>
                      <input value=${chosen.side1} maxlength="64" placeholder=${t('roi.side1Default')} onInput=${(e) => updateShape(selected, { side1: e.currentTarget.value })} />
                    </${Field}>
                    <${Field} label=${t('roi.side2')} hint=${t('roi.side2Hint')}>
                      <input value=${chosen.side2} maxlength="64" placeholder=${t('roi.side2Default')} onInput=${(e) => updateShape(selected, { side2: e.currentTarget.value })} />
                    </${Field}>
                    <button type="button" onClick=${() => updateShape(selected, { side1: chosen.side2, side2: chosen.side1 })}>${t('roi.swapSides')}</button>
                  `
                : null}
            </fieldset>
          `
        : null}
      <details class="roi-text">
        <summary>${t('roi.asText')}</summary>
        <${Field} label=${t('roi.targetRoi')} hint=${t('roi.asTextHint')} error=${textError || (tooLong ? t('roi.tooLong', { max: MAX_ROI_LENGTH, n: roiText.length }) : '')}>
          <textarea rows="4" value=${roiText} onChange=${(e) => applyText(e.currentTarget.value)} disabled=${!size && !onRawText}></textarea>
        </${Field}>
      </details>
      <${ErrorBox} error=${error} />
    </div>
  `;
}
