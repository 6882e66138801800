// The page of `engine.jar serve`: plain JavaScript, no build step, no external resources (works offline).
'use strict';

const $ = (id) => document.getElementById(id);
let info = null;
let picked = null;   // the File to upload

function setError(message) {
  $('error').textContent = message || '';
  $('error').hidden = !message;
}

function fillVocabularies() {
  // every bundled list works with every method (docs/pipeline.md): the method's own reference's lists first
  const slide = $('method').value !== 'cliptrase';
  const own = info ? (slide ? info.vocabularies.slide : info.vocabularies.cliptrase) : [];
  const other = info ? (slide ? info.vocabularies.cliptrase : info.vocabularies.slide) : [];
  const names = own.concat(other.filter(n => !own.some(o => o.toLowerCase() === n.toLowerCase())));
  const select = $('vocabulary');
  const keep = select.value;
  select.replaceChildren(new Option('(my classes below)', ''));
  for (const n of names) select.add(new Option(n, n));
  if (names.includes(keep)) select.value = keep;
}

async function loadInfo() {
  try {
    const r = await fetch('v1/info');
    info = await r.json();
    $('model').textContent = '· model: ' + info.model;
    for (const m of info.methods) $('method').add(new Option(m, m));
    $('method').value = 'cliptrase';
    fillVocabularies();
  } catch (e) {
    setError('could not reach the server: ' + e);
  }
}

function pick(file) {
  if (!file) return;
  picked = file;
  const preview = $('preview');
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  $('drop-text').textContent = file.name;
}

function showResult(j) {
  const png = (b64) => 'data:image/png;base64,' + b64;
  $('overlay').src = png(j.overlay_png);
  $('caption').textContent = `${j.method}, ${j.width}×${j.height} label map, ${j.classes.length} classes, ` +
      `${Math.round(j.timings_ms.request)} ms`;
  const legend = $('legend');
  legend.replaceChildren();
  for (const e of j.legend) {
    const li = document.createElement('li');
    li.dataset.label = e.label;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = e.color;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = e.name;
    const fr = document.createElement('span');
    fr.className = 'fraction';
    fr.textContent = (100 * e.fraction).toFixed(1) + ' %';
    li.append(sw, name, fr);
    legend.append(li);
  }
  const stem = (j.image || 'image').replace(/\.[^.]*$/, '');
  $('download').href = png(j.labels_png);
  $('download').download = stem + '.labels.png';
  $('download-overlay').href = png(j.overlay_png);
  $('download-overlay').download = stem + '.overlay.png';
  $('result').hidden = false;
}

async function submit(event) {
  event.preventDefault();
  setError('');
  if (!picked) { setError('pick an image first'); return; }
  const form = new FormData();
  form.append('image', picked, picked.name);
  form.append('method', $('method').value);
  if ($('vocabulary').value) form.append('vocabulary', $('vocabulary').value);
  else form.append('classes', $('classes').value);
  if ($('size').value) form.append('size', $('size').value);
  if ($('background').value && !$('background').disabled) form.append('background', $('background').value);
  $('submit').disabled = true;
  $('status').textContent = 'segmenting…';
  try {
    const r = await fetch('v1/segment', { method: 'POST', body: form });
    const j = await r.json();
    if (!r.ok) { setError(j.error || ('HTTP ' + r.status)); $('status').textContent = ''; return; }
    showResult(j);
    $('status').textContent = 'done';
  } catch (e) {
    setError('request failed: ' + e);
    $('status').textContent = '';
  } finally {
    $('submit').disabled = false;
  }
}

$('file').addEventListener('change', () => pick($('file').files[0]));
$('method').addEventListener('change', fillVocabularies);
$('form').addEventListener('submit', submit);
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files.length) pick(e.dataTransfer.files[0]);
});
drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file').click(); } });
loadInfo();
