/* The event page's share box: copy the link, or the system's share sheet (Web Share API)
   where the browser has one. Without JavaScript the link stays in its read-only field. */
(function () {
  'use strict';
  var field = document.getElementById('lien');
  var copy = document.getElementById('copier-lien');
  var share = document.getElementById('partager');
  var status = document.getElementById('partage-statut');
  if (!field) { return; }

  function say(text) { if (status) { status.textContent = text; } }

  field.addEventListener('focus', function () { field.select(); });

  if (copy && navigator.clipboard && window.isSecureContext !== false) {
    copy.hidden = false;
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        say('Lien copié dans le presse-papiers.');
      }, function () {
        field.focus();
        say('Copie impossible\u202f: le lien est sélectionné, copiez-le avec Ctrl+C.');
      });
    });
  }

  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener('click', function () {
      navigator.share({ title: share.getAttribute('data-title') || document.title,
                        url: field.value })
        .catch(function () { /* closed by the visitor */ });
    });
  }
})();
