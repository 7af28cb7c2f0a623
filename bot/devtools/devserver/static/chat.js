// SaqBol demo chat. Bot text arrives as Telegram sends it to clients: plain text plus
// entities (offsets in UTF-16 code units, which is how JavaScript strings count). It is
// turned into DOM nodes here; bot text never goes through innerHTML.
"use strict";

(() => {
  const USER_KEY = "saqbol-demo-user-id";
  const RETRY_MS = 2000;
  const TOAST_MS = 4000;
  const SAFE_PROTOCOLS = ["http:", "https:"];
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024; // demo.py's limit (Telegram's for a photo); the server checks again
  const CAPTION_LIMIT = 1024;
  const SCROLL_MARGIN_PX = 8;
  const CONTEXT_SHARE = 0.3; // of the chat's height, at most, for the user's message above an answer
  const PHOTO_BOX_REM = { width: 15, height: 20 }; // a photo bubble's largest size, as Telegram draws it
  const PHOTO_MIN_BUBBLE_REM = 8; // a very narrow photo still gets a caption of readable width
  const THUMB_MIN_WIDTH = 640; // the bubble shows the smallest size at least this wide (sharp on a phone)
  const SIMPLE_TAGS = {
    bold: "b",
    italic: "i",
    underline: "u",
    strikethrough: "s",
    code: "code",
    blockquote: "blockquote",
  };
  const STRINGS = {
    ru: {
      intro: "Перешлите или вставьте подозрительное сообщение — бот проверит, не мошенники ли это.",
      label: "Сообщение",
      placeholder: "Напишите или вставьте сообщение…",
      send: "Отправить",
      start: "Начать",
      edited: "изменено",
      photo: "📷 Фото",
      document: "📄 Документ",
      sticker: "Стикер",
      voice: "🎤 Голосовое сообщение",
      location: "📍 Геопозиция",
      offline: "Нет связи с сервером. Пробую снова…",
      sendFailed: "Не удалось отправить. Попробуйте ещё раз.",
      pressFailed: "Эта кнопка больше не работает.",
      spoiler: "Нажмите, чтобы показать",
      close: "Понятно",
      unsupported: "Недоступно в демо",
      attach: "Фото",
      attachLabel: "Отправить фото или скриншот",
      remove: "Убрать картинку",
      captionPlaceholder: "Подпись к фото (необязательно)",
      openPhoto: "Открыть фото целиком",
      closeViewer: "Закрыть",
      photoAlt: "Фото",
      sendingPhoto: "Отправляю фото…",
      problems: {
        not_image: "Это не картинка. Выберите фото или скриншот (JPEG, PNG, WebP).",
        too_large: "Картинка слишком большая: {size} МБ. Можно не больше {limit} МБ — обрежьте скриншот или выберите фото поменьше.",
        empty: "Файл пустой. Выберите картинку ещё раз.",
        too_many_pixels: "В картинке слишком много пикселей (больше 40 мегапикселей). Обрежьте её или сделайте скриншот.",
        bad_shape: "Картинка слишком узкая или длинная. Обрежьте её до самого сообщения.",
        caption_too_long: "Подпись слишком длинная: можно не больше {caption} символов.",
        failed: "Не удалось отправить фото. Попробуйте ещё раз.",
      },
    },
    kk: {
      intro: "Күдікті хабарламаны жіберіңіз немесе қойыңыз — бот оны алаяқтыққа тексереді.",
      label: "Хабарлама",
      placeholder: "Хабарламаны жазыңыз немесе қойыңыз…",
      send: "Жіберу",
      start: "Бастау",
      edited: "өзгертілді",
      photo: "📷 Фото",
      document: "📄 Құжат",
      sticker: "Стикер",
      voice: "🎤 Дауыстық хабарлама",
      location: "📍 Орналасқан жері",
      offline: "Сервермен байланыс жоқ. Қайта қосылып жатырмын…",
      sendFailed: "Жіберілмеді. Қайталап көріңіз.",
      pressFailed: "Бұл батырма енді жұмыс істемейді.",
      spoiler: "Көрсету үшін басыңыз",
      close: "Түсінікті",
      unsupported: "Демода қолжетімсіз",
      attach: "Сурет",
      attachLabel: "Сурет немесе скриншот жіберу",
      remove: "Суретті алып тастау",
      captionPlaceholder: "Суретке жазу (міндетті емес)",
      openPhoto: "Суретті толық ашу",
      closeViewer: "Жабу",
      photoAlt: "Сурет",
      sendingPhoto: "Сурет жіберіліп жатыр…",
      problems: {
        not_image: "Бұл сурет емес. Фото немесе скриншот таңдаңыз (JPEG, PNG, WebP).",
        too_large: "Сурет тым үлкен: {size} МБ. Ең көбі {limit} МБ болуы керек — скриншотты қиыңыз немесе кішірек фото таңдаңыз.",
        empty: "Файл бос. Суретті қайта таңдаңыз.",
        too_many_pixels: "Суретте пиксель тым көп (40 мегапиксельден асады). Оны қиыңыз немесе скриншот жасаңыз.",
        bad_shape: "Сурет тым жіңішке немесе тым ұзын. Оны хабарламаның өзіне дейін қиыңыз.",
        caption_too_long: "Жазу тым ұзын: ең көбі {caption} таңба болуы керек.",
        failed: "Сурет жіберілмеді. Қайталап көріңіз.",
      },
    },
  };

  const language = (navigator.language || "").toLowerCase().startsWith("kk") ? "kk" : "ru";
  const strings = STRINGS[language];
  const userId = loadUserId();
  const list = document.getElementById("messages");
  const scroller = document.getElementById("scroller");
  const input = document.getElementById("text");
  const sendButton = document.getElementById("send");
  const replyKeyboard = document.getElementById("reply-keyboard");
  const pictureInput = document.getElementById("picture");
  const pickedBox = document.getElementById("picked");
  const pictureError = document.getElementById("picture-error");
  const viewer = document.getElementById("viewer");
  const nodes = new Map();
  let picked = null; // the File chosen with the picture button, sent with the next Send
  let pickedUrl = null;
  let version = 0;
  let firstPoll = true;
  let shownKeyboard = "null";
  let currentPlaceholder = "";
  let answerStart = null; // the first bot message since the user last sent or pressed something

  function loadUserId() {
    try {
      const saved = Number(localStorage.getItem(USER_KEY));
      if (Number.isSafeInteger(saved) && saved > 0) return saved;
    } catch (_) {
      // Storage is off (private mode): this visit gets its own id.
    }
    const id = 1000000000 + crypto.getRandomValues(new Uint32Array(1))[0];
    try {
      localStorage.setItem(USER_KEY, String(id));
    } catch (_) {
      // Same as above.
    }
    return id;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return SAFE_PROTOCOLS.includes(parsed.protocol) ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(className, href, text) {
    const anchor = el("a", className, text);
    anchor.href = href;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    return anchor;
  }

  function spoiler() {
    const node = el("span", "spoiler");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.title = strings.spoiler;
    const reveal = () => node.classList.add("revealed");
    node.addEventListener("click", reveal);
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") reveal();
    });
    return node;
  }

  // The element for one entity: [outer node, node that holds the entity's text].
  function entityNodes(entity) {
    if (entity.type === "pre") {
      const pre = el("pre");
      const code = el("code");
      pre.append(code);
      return [pre, code];
    }
    if (entity.type === "text_link") {
      const href = safeUrl(entity.url);
      const node = href ? link("", href) : el("span", "link-blocked");
      return [node, node];
    }
    if (entity.type === "spoiler") {
      const node = spoiler();
      return [node, node];
    }
    if (entity.type === "expandable_blockquote") {
      const node = el("blockquote", "expandable");
      return [node, node];
    }
    const node = el(SIMPLE_TAGS[entity.type] || "span");
    return [node, node];
  }

  // Plain text + entities -> a fragment. Entities nest (Telegram's HTML guarantees it);
  // one that overlaps its parent is cut at the parent's end.
  function renderFormatted(text, entities) {
    const root = document.createDocumentFragment();
    const sorted = (entities || [])
      .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    const stack = [{ node: root, end: text.length }];
    const top = () => stack[stack.length - 1];
    let position = 0;
    const textUpTo = (limit) => {
      if (limit > position) {
        top().node.append(document.createTextNode(text.slice(position, limit)));
        position = limit;
      }
    };
    for (const entity of sorted) {
      while (stack.length > 1 && top().end <= entity.offset) {
        textUpTo(top().end);
        stack.pop();
      }
      textUpTo(entity.offset);
      const end = Math.min(entity.offset + entity.length, top().end);
      if (end <= position) continue;
      const [outer, inner] = entityNodes(entity);
      top().node.append(outer);
      stack.push({ node: inner, end });
    }
    while (stack.length > 1) {
      textUpTo(top().end);
      stack.pop();
    }
    textUpTo(text.length);
    return root;
  }

  function mediaLabel(message) {
    if (Array.isArray(message.photo) && message.photo.length) return null; // drawn by photoNode
    const kinds = ["photo", "document", "sticker", "voice", "location"];
    const kind = kinds.find((name) => message[name] !== undefined);
    if (!kind) return null;
    if (kind === "document" && message.document.file_name) {
      return `${strings.document}: ${message.document.file_name}`;
    }
    return strings[kind];
  }

  function inlineButton(messageId, button) {
    if (typeof button.callback_data === "string") {
      const node = el("button", "inline", button.text);
      node.type = "button";
      node.dataset.callback = button.callback_data;
      node.addEventListener("click", () => press(messageId, button.callback_data, node));
      return node;
    }
    const href = button.url && safeUrl(button.url);
    if (href) return link("inline url", href, button.text);
    const node = el("button", "inline unsupported", button.text);
    node.type = "button";
    node.disabled = true;
    node.title = strings.unsupported;
    return node;
  }

  function renderInlineKeyboard(messageId, rows) {
    const box = el("div", "inline-keyboard");
    box.setAttribute("role", "group");
    for (const row of rows) {
      const line = el("div", "row");
      for (const button of row) line.append(inlineButton(messageId, button));
      box.append(line);
    }
    return box;
  }

  function fileUrl(fileId) {
    return `/api/file?user_id=${userId}&file_id=${encodeURIComponent(fileId)}`;
  }

  // A photo as Telegram draws it: a sharp-enough size in the bubble, its box sized before the
  // picture loads (so nothing jumps and scrolling stays right), the largest size on tap.
  function photoNode(sizes) {
    const full = sizes[sizes.length - 1];
    const shown = sizes.find((size) => size.width >= THUMB_MIN_WIDTH) || full;
    const button = el("button", "photo");
    button.type = "button";
    button.title = strings.openPhoto;
    button.setAttribute("aria-label", strings.openPhoto);
    button.setAttribute("data-testid", "photo");
    const image = el("img");
    image.alt = strings.photoAlt;
    image.src = fileUrl(shown.file_id);
    image.width = shown.width;
    image.height = shown.height;
    image.style.width = `${photoWidthRem(shown).toFixed(3)}rem`;
    image.style.aspectRatio = `${shown.width} / ${shown.height}`;
    button.append(image);
    button.addEventListener("click", () => openViewer(full));
    return button;
  }

  function photoWidthRem(size) {
    return Math.min(PHOTO_BOX_REM.width, (PHOTO_BOX_REM.height * size.width) / size.height);
  }

  function openViewer(size) {
    const image = document.getElementById("viewer-image");
    image.src = fileUrl(size.file_id);
    image.alt = strings.photoAlt;
    image.width = size.width;
    image.height = size.height;
    viewer.showModal();
  }

  function renderMessage(message) {
    const fromBot = Boolean(message.from && message.from.is_bot);
    const item = el("li", fromBot ? "msg bot" : "msg user");
    item.tabIndex = -1;
    item.dataset.messageId = String(message.message_id);
    item.setAttribute("data-testid", fromBot ? "bot-message" : "user-message");
    if (Array.isArray(message.photo) && message.photo.length) {
      // The bubble is as wide as the photo and its caption wraps inside, as in Telegram.
      const widest = message.photo[message.photo.length - 1];
      item.classList.add("with-photo");
      item.style.width = `calc(${Math.max(photoWidthRem(widest), PHOTO_MIN_BUBBLE_REM).toFixed(3)}rem + 0.6rem + 2px)`;
      item.append(photoNode(message.photo));
    }
    const media = mediaLabel(message);
    if (media) item.append(el("div", "media", media));
    const text = message.text ?? message.caption ?? "";
    if (text) {
      const body = el("div", "text");
      body.append(renderFormatted(text, message.entities ?? message.caption_entities));
      item.append(body);
    }
    if (message.edit_date) item.append(el("div", "edited", strings.edited));
    const rows = message.reply_markup && message.reply_markup.inline_keyboard;
    if (fromBot && Array.isArray(rows)) item.append(renderInlineKeyboard(message.message_id, rows));
    return item;
  }

  // New messages go in message_id order; an edited one replaces its old node in place.
  function upsert(message) {
    const node = renderMessage(message);
    const existing = nodes.get(message.message_id);
    nodes.set(message.message_id, node);
    if (existing) {
      const hadFocus = existing.contains(document.activeElement);
      existing.replaceWith(node);
      if (hadFocus) (node.querySelector("button.inline") || node).focus();
      return;
    }
    let before = list.lastElementChild;
    while (before && Number(before.dataset.messageId) > message.message_id) before = before.previousElementSibling;
    if (before) before.after(node);
    else list.prepend(node);
  }

  function remove(messageId) {
    const node = nodes.get(messageId);
    if (node) node.remove();
    nodes.delete(messageId);
  }

  function renderReplyKeyboard(markup) {
    const key = JSON.stringify(markup);
    if (key === shownKeyboard) return;
    shownKeyboard = key;
    replyKeyboard.replaceChildren();
    currentPlaceholder = (markup && markup.input_field_placeholder) || strings.placeholder;
    if (!picked) input.placeholder = currentPlaceholder;
    if (!markup || !Array.isArray(markup.keyboard)) {
      replyKeyboard.hidden = true;
      return;
    }
    for (const row of markup.keyboard) {
      const line = el("div", "row");
      for (const button of row) {
        const text = typeof button === "string" ? button : button.text;
        const node = el("button", "reply-key", text);
        node.type = "button";
        node.addEventListener("click", () => {
          if (markup.one_time_keyboard) replyKeyboard.hidden = true;
          send(text);
        });
        line.append(node);
      }
      replyKeyboard.append(line);
    }
    replyKeyboard.hidden = false;
  }

  function showToast(toast) {
    const node = el("div", toast.show_alert ? "toast alert" : "toast", toast.text);
    document.getElementById("toasts").append(node);
    if (!toast.show_alert) {
      setTimeout(() => node.remove(), TOAST_MS);
      return;
    }
    const close = el("button", "toast-close", strings.close);
    close.type = "button";
    close.addEventListener("click", () => node.remove());
    node.append(close);
    close.focus();
  }

  // Where the chat scrolls when messages arrive. The bot's answer to what the user just did
  // is shown from its first line (the verdict), with the end of the user's own message above
  // it when there is room: scrolling to the end of a long answer would hide the verdict above
  // the screen on a phone. Later parts of the same answer keep that place. The user's own
  // message, or a whole history, shows the end of the chat.
  function scrollAfter(fresh, wholeHistory) {
    const bottom = scroller.scrollHeight - scroller.clientHeight;
    const answers = fresh.filter((m) => m.from && m.from.is_bot).map((m) => m.message_id);
    if (wholeHistory || !answers.length) {
      if (fresh.length) scroller.scrollTop = bottom;
      return;
    }
    if (answerStart === null || !nodes.has(answerStart)) answerStart = Math.min(...answers);
    const first = nodes.get(answerStart);
    const top = first.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop;
    const above = first.previousElementSibling;
    const context = above ? Math.min(above.offsetHeight, scroller.clientHeight * CONTEXT_SHARE) : 0;
    scroller.scrollTop = Math.min(bottom, Math.max(0, top - SCROLL_MARGIN_PX - context));
  }

  function apply(changes) {
    if (changes.reset) {
      list.replaceChildren();
      nodes.clear();
    }
    changes.deleted.forEach(remove);
    const fresh = changes.messages.filter((m) => !nodes.has(m.message_id));
    changes.messages.forEach(upsert);
    renderReplyKeyboard(changes.reply_keyboard);
    if (!firstPoll && !changes.reset) changes.toasts.forEach(showToast);
    document.getElementById("empty").hidden = list.childElementCount > 0;
    scrollAfter(fresh, firstPoll || changes.reset);
    version = changes.version;
    firstPoll = false;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || !answer.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  async function send(text) {
    const trimmed = text.trim();
    if (!trimmed) return true;
    answerStart = null;
    try {
      await post("/api/send", { user_id: userId, text: trimmed, language_code: language });
      return true;
    } catch (_) {
      showToast({ text: strings.sendFailed, show_alert: false });
      return false;
    }
  }

  // --- pictures --------------------------------------------------------------------------

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "");
  }

  function problemText(problem, size, limit) {
    const template = strings.problems[problem] || strings.problems.failed;
    return template
      .replace("{size}", megabytes(size || 0))
      .replace("{limit}", megabytes(limit || MAX_PHOTO_BYTES))
      .replace("{caption}", String(CAPTION_LIMIT));
  }

  function showPictureError(text) {
    pictureError.textContent = text;
    pictureError.hidden = false;
  }

  function hidePictureError() {
    pictureError.hidden = true;
    pictureError.textContent = "";
  }

  // What the page can tell before uploading: not an image, empty, over the limit. The server
  // checks again (a file can claim any type), and its answer is shown the same way.
  function localProblem(file) {
    if (file.type && !file.type.startsWith("image/")) return "not_image";
    if (file.size === 0) return "empty";
    if (file.size > MAX_PHOTO_BYTES) return "too_large";
    return null;
  }

  function setPicked(file) {
    if (pickedUrl) URL.revokeObjectURL(pickedUrl);
    picked = file;
    pickedUrl = file ? URL.createObjectURL(file) : null;
    const thumb = document.getElementById("picked-thumb");
    if (pickedUrl) thumb.src = pickedUrl;
    else thumb.removeAttribute("src"); // an empty src would be a request for the page itself
    document.getElementById("picked-name").textContent = file ? file.name : "";
    pickedBox.hidden = !file;
    input.placeholder = file ? strings.captionPlaceholder : currentPlaceholder;
  }

  function choosePicture(file) {
    hidePictureError();
    if (!file) return;
    const problem = localProblem(file);
    if (problem) {
      setPicked(null);
      showPictureError(problemText(problem, file.size));
      return;
    }
    setPicked(file);
  }

  async function sendPicture(file, caption) {
    answerStart = null;
    const form = new FormData();
    form.append("user_id", String(userId));
    form.append("language_code", language);
    if (caption.trim()) form.append("caption", caption.trim());
    form.append("file", file, file.name || "photo");
    let answer = {};
    try {
      const response = await fetch("/api/photo", { method: "POST", body: form });
      answer = await response.json().catch(() => ({}));
      if (response.ok && answer.ok) return true;
    } catch (_) {
      // Network trouble: said below, and the picture stays picked for another try.
    }
    showPictureError(problemText(answer.problem || "failed", file.size, answer.limit_bytes));
    if (answer.problem && answer.problem !== "caption_too_long") setPicked(null);
    return false;
  }

  async function press(messageId, data, button) {
    button.disabled = true;
    answerStart = null;
    try {
      await post("/api/press", { user_id: userId, message_id: messageId, data });
    } catch (_) {
      showToast({ text: strings.pressFailed, show_alert: false });
    } finally {
      button.disabled = false;
    }
  }

  // Long poll: the server answers as soon as the chat changes, or after ~25 s with nothing.
  async function pollForever() {
    const status = document.getElementById("status");
    for (;;) {
      try {
        const response = await fetch(`/api/messages?user_id=${userId}&since=${version}`, { cache: "no-store" });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        apply(await response.json());
        status.hidden = true;
      } catch (_) {
        status.hidden = false;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  function localize() {
    document.documentElement.lang = language;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = strings[node.dataset.i18n];
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("aria-label", strings[node.dataset.i18nLabel]);
    }
    currentPlaceholder = strings.placeholder;
    input.placeholder = strings.placeholder;
  }

  function wireComposer() {
    const form = document.getElementById("composer");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value;
      const file = picked;
      if (file && text.length > CAPTION_LIMIT) {
        showPictureError(problemText("caption_too_long"));
        return;
      }
      hidePictureError();
      input.value = "";
      sendButton.disabled = true;
      let sent;
      if (file) {
        sendButton.textContent = strings.sendingPhoto;
        sent = await sendPicture(file, text);
        sendButton.textContent = strings.send;
        if (sent) setPicked(null);
      } else {
        sent = await send(text);
      }
      if (!sent) input.value = text;
      sendButton.disabled = false;
      input.focus();
    });
    document.getElementById("attach").addEventListener("click", () => pictureInput.click());
    pictureInput.addEventListener("change", () => {
      const file = pictureInput.files && pictureInput.files[0];
      pictureInput.value = ""; // the same file can be picked again after a refusal
      choosePicture(file);
    });
    // On a computer a screenshot is usually copied, not saved: pasting it picks it. A paste
    // that also carries text (from an office document, say) stays a text paste.
    input.addEventListener("paste", (event) => {
      const data = event.clipboardData;
      if (!data || !data.files || !data.files.length || data.getData("text/plain")) return;
      event.preventDefault();
      choosePicture(data.files[0]);
    });
    document.getElementById("picked-remove").addEventListener("click", () => {
      setPicked(null);
      hidePictureError();
    });
    viewer.addEventListener("click", () => viewer.close()); // a tap anywhere closes it, as in Telegram
    viewer.addEventListener("close", () => document.getElementById("viewer-image").removeAttribute("src"));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    document.getElementById("start").addEventListener("click", () => send("/start"));
  }

  localize();
  wireComposer();
  document.body.dataset.ready = "true"; // for tests: the composer is wired, typing can start
  pollForever();
})();
