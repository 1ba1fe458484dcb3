"""The named events of the training loop (Composer style).

The loop, in pseudocode, with each event marked::

    fit_start
    for epoch in range(start_epoch, epochs):
        epoch_start
        for x, y in train_batches:
            batch_start
            loss = loss_fn(model(x), y)
            after_loss             # state.loss is the batch loss (a tensor, not synced)
            loss.backward()
            after_backward         # gradients exist; clipping / NaN guards act here
            optimizer.step()       # skipped when a callback set state.skip_step
            batch_end              # weights updated; per-step schedulers stepped
        evaluate on val
        eval_end                   # state.metrics holds this epoch's row
        scheduler.step(...)        # per-epoch schedulers; ReduceLROnPlateau with the monitor
        epoch_end                  # row appended to history; checkpoint written after this
    fit_end

Callbacks observe (a method named after the event). Remedies may also change the state and
must record what they changed with :meth:`State.record_repair`.
"""

from __future__ import annotations

from enum import Enum


class Event(str, Enum):
    FIT_START = "fit_start"
    EPOCH_START = "epoch_start"
    BATCH_START = "batch_start"
    AFTER_LOSS = "after_loss"
    AFTER_BACKWARD = "after_backward"
    BATCH_END = "batch_end"
    EVAL_END = "eval_end"
    EPOCH_END = "epoch_end"
    FIT_END = "fit_end"
