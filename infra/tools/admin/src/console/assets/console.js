// The console's only script (served as /console.js; the pages allow no inline script).
// It does one thing: the Confirm button of a replay page posts the replay as JSON with
// "confirm": true, then returns to the queue's page. Everything else is plain HTML.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('confirm-replay');
  if (!button) return;
  const result = document.getElementById('replay-result');
  const queue = button.dataset.queue;
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.textContent = 'Replaying…';
    try {
      const selection = JSON.parse(button.dataset.selection);
      const response = await fetch('/api/dlq/' + encodeURIComponent(queue) + '/replay', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(Object.assign({}, selection, { confirm: true })),
      });
      const answer = await response.json();
      if (!response.ok) {
        result.textContent = 'Replay refused: ' + (answer.detail || response.status);
        button.disabled = false;
        return;
      }
      if (answer.failed > 0 || answer.error) {
        // Stay on the page: what failed is still in the queue, and the operator must see why.
        result.textContent = 'Replayed ' + answer.replayed + ', failed ' + answer.failed +
            (answer.error ? ' (' + answer.error + ')' : '') + '. The failed messages are still in ' + queue + '.';
        return;
      }
      window.location.assign('/dlq/' + encodeURIComponent(queue) + '?replayed=' + answer.replayed);
    } catch (e) {
      result.textContent = 'Replay failed: ' + e;
      button.disabled = false;
    }
  });
});
