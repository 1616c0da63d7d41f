// The page view of a PDF (templates/page_view.html): draws one page with the vendored pdf.js
// and highlights the quote on it. Everything it needs comes from data attributes; the file
// comes from the API's download route with the caller's own cookie.
//
// The quote is highlighted only when the page's text layer holds its text (compared without
// white space) exactly as often as the stored page text does; then its place among them is the
// one the stored offsets name. Otherwise nothing is highlighted and the status says so.
import * as pdfjs from "/static/vendor/pdfjs-dist/pdf.min.mjs";

const view = document.getElementById("pdf-seite");
const status = document.getElementById("pdf-status");
const SPACE = /\s/;

function say(message) {
  status.textContent = message;
  status.hidden = false;
}

// The characters of the text layer without white space, each with its item and position.
function layerCharacters(items, dropLineEndHyphens) {
  const characters = [];
  items.forEach((item, index) => {
    let text = item.str;
    if (dropLineEndHyphens && item.hasEOL && text.endsWith("-")) {
      text = text.slice(0, -1);
    }
    for (let position = 0; position < text.length; position += 1) {
      if (!SPACE.test(text[position])) {
        characters.push({ character: text[position], index, position });
      }
    }
  });
  return characters;
}

function placesOf(needle, haystack) {
  const places = [];
  for (let place = haystack.indexOf(needle); place >= 0; place = haystack.indexOf(needle, place + 1)) {
    places.push(place);
  }
  return places;
}

// The characters of the quote in the text layer, or null when it is not found as often as
// in the stored page text. Tried as the layer reads, then with hyphens at line ends removed
// (the stored text joins words hyphenated across lines).
function findQuote(items, quote, occurrence, occurrences) {
  for (const dropLineEndHyphens of [false, true]) {
    const characters = layerCharacters(items, dropLineEndHyphens);
    const places = placesOf(quote, characters.map((entry) => entry.character).join(""));
    if (places.length === occurrences) {
      const start = places[occurrence];
      return characters.slice(start, start + quote.length);
    }
  }
  return null;
}

// Wrap the found characters of each text span in <mark>; returns the first mark.
function markCharacters(textDivs, items, found) {
  const byItem = new Map();
  for (const { index, position } of found) {
    const range = byItem.get(index) || { from: position, to: position };
    range.from = Math.min(range.from, position);
    range.to = Math.max(range.to, position);
    byItem.set(index, range);
  }
  let first = null;
  for (const [index, { from, to }] of [...byItem.entries()].sort((a, b) => a[0] - b[0])) {
    const span = textDivs[index];
    const text = items[index].str;
    const mark = document.createElement("mark");
    mark.className = "blok-pdf-zitat";
    mark.textContent = text.slice(from, to + 1);
    span.replaceChildren(text.slice(0, from), mark, text.slice(to + 1));
    first = first || mark;
  }
  return first;
}

async function drawPage() {
  pdfjs.GlobalWorkerOptions.workerSrc = view.dataset.worker;
  const pdf = await pdfjs.getDocument({
    url: view.dataset.datei,
    isEvalSupported: false,
    standardFontDataUrl: view.dataset.schriften,
  }).promise;
  const page = await pdf.getPage(Number(view.dataset.seite));
  const natural = page.getViewport({ scale: 1 });
  const scale = Math.max(view.clientWidth, 200) / natural.width;
  const viewport = page.getViewport({ scale });
  const ratio = window.devicePixelRatio || 1;

  view.replaceChildren();
  view.style.setProperty("--scale-factor", String(scale));
  view.style.setProperty("--total-scale-factor", String(scale));
  view.style.setProperty("--scale-round-x", "1px");
  view.style.setProperty("--scale-round-y", "1px");
  view.style.height = `${Math.floor(viewport.height)}px`;
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  canvas.setAttribute("aria-hidden", "true");
  const layer = document.createElement("div");
  layer.className = "textLayer";
  view.append(canvas, layer);

  await page.render({
    canvas,
    canvasContext: canvas.getContext("2d"),
    viewport,
    transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
  }).promise;
  const textContent = await page.getTextContent();
  const textLayer = new pdfjs.TextLayer({ textContentSource: textContent, container: layer, viewport });
  await textLayer.render();
  return { textLayer, items: textContent.items.filter((item) => typeof item.str === "string") };
}

async function show() {
  let drawn;
  try {
    drawn = await drawPage();
  } catch (error) {
    say("Die Originalseite konnte nicht geladen werden. Die Textansicht zeigt ihren Text.");
    return;
  }
  const { quote, vorkommen, anzahl } = { quote: view.dataset.zitat, ...view.dataset };
  if (!quote) {
    return;
  }
  const found = findQuote(drawn.items, quote, Number(vorkommen), Number(anzahl));
  if (!found || found.length !== quote.length) {
    say("Die Fundstelle ließ sich auf der Originalseite nicht sicher finden und ist deshalb nicht hervorgehoben. Die Textansicht markiert sie.");
    return;
  }
  const first = markCharacters(drawn.textLayer.textDivs, drawn.items, found);
  first.id = "zitat";
  first.tabIndex = -1;
  first.focus();
  first.scrollIntoView({ block: "center" });
  say("Die Fundstelle ist auf der Originalseite hervorgehoben.");
}

show();
