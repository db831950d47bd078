/* Copy and share: a "Copier" button (data-copy: the id of the read-only field holding the
   address; data-status: where to say it is done) shown where the clipboard can be written,
   and a "Partager" button (id partager) where the browser has a share sheet (Web Share
   API). Without JavaScript the address stays in its field, selectable. */
(function () {
  'use strict';

  Array.prototype.forEach.call(document.querySelectorAll('input[readonly][data-select]'),
    function (field) { field.addEventListener('focus', function () { field.select(); }); });

  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), function (button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status'));
    if (!field || !navigator.clipboard || window.isSecureContext === false) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute('data-done') || 'Copié.'; }
      }, function () {
        field.focus();
        if (status) {
          status.textContent = 'Copie impossible\u202f: l’adresse est sélectionnée, ' +
            'copiez-la avec Ctrl+C.';
        }
      });
    });
  });

  var share = document.getElementById('partager');
  var link = document.getElementById('lien');
  if (share && link && navigator.share) {
    share.hidden = false;
    share.addEventListener('click', function () {
      navigator.share({ title: share.getAttribute('data-title') || document.title,
                        url: link.value })
        .catch(function () { /* closed by the visitor */ });
    });
  }
})();
