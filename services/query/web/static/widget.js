/* Maillage widget: paste
     <script src="https://ORIGIN/widget.js" data-organizer="…" data-theme="…" async></script>
   where the agenda should appear; this script inserts an <iframe> of ORIGIN/widget there.
   Attributes: the agenda's filters (data-q, data-period, data-organizer, data-source,
   data-theme, data-quartier, data-commune, data-accessibility, data-audience, data-free; lists
   as comma lists), data-limit, data-titre, data-height (pixels, default 600). */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var origin = new URL(script.src).origin;
  var names = ['q', 'period', 'organizer', 'source', 'theme', 'quartier', 'commune', 'keyword',
    'accessibility', 'audience', 'free', 'limit', 'titre'];
  var params = [];
  names.forEach(function (name) {
    var value = script.getAttribute('data-' + name);
    if (value) { params.push(encodeURIComponent(name) + '=' + encodeURIComponent(value)); }
  });
  var frame = document.createElement('iframe');
  frame.src = origin + '/widget' + (params.length ? '?' + params.join('&') : '');
  frame.title = script.getAttribute('data-titre') || 'Agenda des associations – Maillage';
  frame.height = String(parseInt(script.getAttribute('data-height'), 10) || 600);
  frame.setAttribute('loading', 'lazy');
  frame.style.width = '100%';
  frame.style.border = '1px solid #ccc';
  frame.style.borderRadius = '6px';
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
