/* Maillage: small enhancements of pages that work without JavaScript. */
(function () {
  'use strict';

  // Filters fold away on narrow screens (they stay open without JavaScript).
  var filters = document.getElementById('filtres');
  if (filters && window.matchMedia('(max-width: 56rem)').matches) {
    filters.open = false;
  }

  // Search suggestions from /v1/suggest, in the field's native <datalist>.
  var input = document.getElementById('q');
  var list = document.getElementById('suggestions');
  if (input && list && window.fetch) {
    var timer = null;
    var last = '';
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 2 || text === last) { return; }
        last = text;
        fetch('/v1/suggest?limit=8&q=' + encodeURIComponent(text))
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (data.items || []).forEach(function (s) {
              var option = document.createElement('option');
              option.value = s.text;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  }

  // "Copier" buttons for the code snippets of /integrer.
  var status = null;
  Array.prototype.forEach.call(document.querySelectorAll('pre[data-copy]'), function (pre) {
    if (!navigator.clipboard) { return; }
    if (!status) {
      status = document.createElement('p');
      status.className = 'sr-only';
      status.setAttribute('role', 'status');
      document.body.appendChild(status);
    }
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copier le code';
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(pre.textContent).then(function () {
        button.textContent = 'Code copié';
        status.textContent = 'Le code a été copié dans le presse-papiers.';
      });
    });
    pre.parentNode.insertBefore(button, pre.nextSibling);
  });
})();
