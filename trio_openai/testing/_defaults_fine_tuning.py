"""Default replies of the fine-tuning jobs API: jobs that train themselves, one step per retrieve.

``POST /fine_tuning/jobs`` checks the training (and validation) file is stored
and shows the job ``validating_files``; each ``GET /fine_tuning/jobs/{id}`` then
moves it one step on, so a test or ``trio-openai fine-tuning jobs follow`` sees
every status, deterministically::

    validating_files -> queued -> running (x3, trained_tokens growing) -> succeeded
    (cancel) -> cancelled
    (a training file with no line)  validating_files -> failed

A job that succeeds names its model ``ft:<model>:fake:<suffix>:<n>`` (the suffix
empty unless given; *n* the job's number) and stores a ``step_metrics.csv``
result file. Events (``GET /fine_tuning/jobs/{id}/events``) narrate each step.
Shapes follow the OpenAPI spec: ``CreateFineTuningJobRequest``, ``FineTuningJob``,
``FineTuningJobEvent``, ``ListPaginatedFineTuningJobsResponse``,
``ListFineTuningJobEventsResponse``. The state lives on `Defaults.fine_tuning_jobs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, final

import attrs

from . import _generate
from ._error_bodies import BadRequest
from ._params import json_object, list_page, lookup, optional_string, required_string
from ._script import Body, JsonBody

if TYPE_CHECKING:
    from ._records import FakeRequest
    from ._store import Store

__all__ = [
    "RUNNING_STEPS",
    "FakeFineTuningJob",
    "cancel_job",
    "create_job",
    "get_job",
    "list_job_events",
    "list_jobs",
]

RUNNING_STEPS = 3
"""How many retrieves a job spends ``running`` (its trained tokens grow at each)."""

ORGANIZATION_ID = "org-fake"
DEFAULT_SEED = 42
_AUTO_EPOCHS = 3
_HYPERPARAMETERS = ("batch_size", "learning_rate_multiplier", "n_epochs")
_METHODS = ("supervised", "dpo", "reinforcement")
_TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@final
@attrs.define(eq=False, kw_only=True)
class FakeFineTuningJob:
    """A fine-tuning job on the fake, and the events it logged.

    Attributes:
        id: The job id (``ftjob-fake-1``).
        model: The base model.
        training_file: The training file's id.
        validation_file: The validation file's id, if any.
        suffix: The suffix of the model name, if any.
        seed: The seed (given, or 42).
        hyperparameters: ``batch_size``, ``learning_rate_multiplier``, ``n_epochs``.
        method: The method (``supervised`` unless given).
        metadata: The metadata given at creation.
        created_at: The time stamp of its creation.
        total_tokens: The tokens trained once done (the training file's words x epochs).
        status: The status shown now.
        step: The running steps done so far.
        fine_tuned_model: The model made, once succeeded.
        finished_at: When it succeeded or failed.
        result_files: The result file's id, once succeeded.
        error: Why it failed (``code``, ``message``, ``param``).
        events: The events logged, oldest first.
    """

    id: str
    model: str
    training_file: str
    validation_file: str | None
    suffix: str | None
    seed: int
    hyperparameters: dict[str, object]
    method: Mapping[str, Any]
    metadata: Mapping[str, Any] | None
    created_at: int
    total_tokens: int
    status: str = "validating_files"
    step: int = 0
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    result_files: list[str] = attrs.field(factory=list)
    error: dict[str, object] | None = None
    events: list[dict[str, object]] = attrs.field(factory=list, repr=False)

    def log(self, defaults: Store, message: str, *, level: str = "info", **data: object) -> None:
        """Add an event (a ``metrics`` event when *data* is given).

        Args:
            defaults: The fake's state (ids, time stamp).
            message: What happened.
            level: ``info``, ``warn`` or ``error``.
            **data: The metrics of a step.
        """
        event: dict[str, object] = {
            "object": "fine_tuning.job.event",
            "id": defaults.new_id("ftevent-fake-"),
            "created_at": defaults.created,
            "level": level,
            "message": message,
            "type": "metrics" if data else "message",
        }
        if data:
            event["data"] = data
        self.events.append(event)

    def advance(self, defaults: Store) -> None:
        """Move one step on (nothing happens once terminal).

        Args:
            defaults: The fake's state (ids, time stamp, the file store).
        """
        if self.status == "validating_files":
            self._validated(defaults)
        elif self.status in {"queued", "running"} and self.step < RUNNING_STEPS:
            if self.status == "queued":
                self.status = "running"
                self.log(defaults, "Fine-tuning job started")
            self.step += 1
            loss = round(1.0 / (self.step + 1), 4)
            message = f"Step {self.step}/{RUNNING_STEPS}: training loss={loss:.4f}"
            self.log(defaults, message, step=self.step, train_loss=loss)
        elif self.status == "running":
            self._succeeded(defaults)

    def _validated(self, defaults: Store) -> None:
        self.log(defaults, f"Validating training file: {self.training_file}")
        if self.total_tokens == 0:
            self.status = "failed"
            self.finished_at = defaults.created
            message = f"The training file {self.training_file} has no example."
            self.error = {
                "code": "invalid_training_file",
                "message": message,
                "param": "training_file",
            }
            self.log(defaults, message, level="error")
            return
        self.status = "queued"
        self.log(defaults, "Files validated, moving job to queued state")

    def _succeeded(self, defaults: Store) -> None:
        number = self.id.rsplit("-", 1)[-1]
        self.fine_tuned_model = f"ft:{self.model}:fake:{self.suffix or ''}:{number}"
        rows = [f"{s},{round(1.0 / (s + 1), 4)}\n" for s in range(1, RUNNING_STEPS + 1)]
        results = defaults.store_file(
            content=("step,train_loss\n" + "".join(rows)).encode(),
            filename="step_metrics.csv",
            purpose="fine-tune-results",
        )
        self.result_files = [results.id]
        self.status = "succeeded"
        self.finished_at = defaults.created
        self.log(defaults, f"New fine-tuned model created: {self.fine_tuned_model}")
        self.log(defaults, "The job has successfully completed")

    def cancel(self, defaults: Store) -> None:
        """Cancel the job.

        Args:
            defaults: The fake's state (ids, time stamp).

        Raises:
            BadRequest: The job already ended.
        """
        if self.status in _TERMINAL:
            raise BadRequest(
                f"Cannot cancel a fine-tuning job with status '{self.status}'.", param="id"
            )
        self.status = "cancelled"
        self.log(defaults, "Fine-tuning job cancelled")

    def to_json(self) -> dict[str, object]:
        """Return the job as a ``FineTuningJob`` object."""
        trained = self.total_tokens * self.step // RUNNING_STEPS if self.step else None
        return {
            "object": "fine_tuning.job",
            "id": self.id,
            "model": self.model,
            "created_at": self.created_at,
            "fine_tuned_model": self.fine_tuned_model,
            "finished_at": self.finished_at,
            "organization_id": ORGANIZATION_ID,
            "result_files": list(self.result_files),
            "status": self.status,
            "validation_file": self.validation_file,
            "training_file": self.training_file,
            "hyperparameters": dict(self.hyperparameters),
            "trained_tokens": trained,
            "error": self.error,
            "seed": self.seed,
            "method": self.method,
            "metadata": self.metadata,
        }


def _stored_file(defaults: Store, file_id: str, param: str) -> str:
    stored = defaults.files.get(file_id)
    if stored is None:
        raise BadRequest(f"invalid {param}: {file_id} (no such file)", param=param)
    return stored.content.decode("utf-8", errors="replace")


def _method(body: Mapping[str, Any]) -> tuple[dict[str, object], Mapping[str, Any]]:
    """The hyperparameters (``auto`` where not given) and the method of a create request."""
    method = body.get("method")
    if method is not None and (
        not isinstance(method, Mapping) or method.get("type") not in _METHODS
    ):
        raise BadRequest(f"Invalid value for 'method': {method!r}.", param="method")
    given = body.get("hyperparameters")
    if given is None and method is not None:
        detail = method.get(method["type"])
        given = detail.get("hyperparameters") if isinstance(detail, Mapping) else None
    if given is not None and not isinstance(given, Mapping):
        raise BadRequest("Invalid value for 'hyperparameters': an object.", param="hyperparameters")
    given = given or {}
    hyperparameters = {name: given.get(name, "auto") for name in _HYPERPARAMETERS}
    if method is None:
        method = {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    return hyperparameters, method


def create_job(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    """``POST /fine_tuning/jobs``: start a job on a stored training file.

    Args:
        defaults: The fake's state.
        request: The request: ``model``, ``training_file``, optional ``suffix``,
            ``validation_file``, ``seed``, ``hyperparameters``, ``method``, ``metadata``.

    Raises:
        BadRequest: A field missing or invalid, a file not stored.
    """
    body = json_object(request)
    model = required_string(body, "model")
    training_file = required_string(body, "training_file")
    validation_file = optional_string(body, "validation_file")
    suffix = optional_string(body, "suffix")
    if suffix is not None and len(suffix) > 64:
        raise BadRequest("'suffix' can be at most 64 characters long.", param="suffix")
    seed = body.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BadRequest(f"Invalid value for 'seed': {seed!r}.", param="seed")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise BadRequest("Invalid value for 'metadata': an object.", param="metadata")
    hyperparameters, method = _method(body)
    text = _stored_file(defaults, training_file, "training_file")
    if validation_file is not None:
        _stored_file(defaults, validation_file, "validation_file")
    epochs = hyperparameters["n_epochs"]
    words = _generate.count_tokens(text) if text.strip() else 0
    job = FakeFineTuningJob(
        id=defaults.new_id("ftjob-fake-"),
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        suffix=suffix,
        seed=seed,
        hyperparameters=hyperparameters,
        method=method,
        metadata=metadata,
        created_at=defaults.created,
        total_tokens=words * (epochs if isinstance(epochs, int) else _AUTO_EPOCHS),
    )
    job.log(defaults, f"Created fine-tuning job: {job.id}")
    defaults.fine_tuning_jobs[job.id] = job
    return JsonBody(job.to_json())


def _job(defaults: Store, job_id: str) -> FakeFineTuningJob:
    job: FakeFineTuningJob = lookup(
        defaults.fine_tuning_jobs, job_id, noun="FineTuningJob", param="fine_tuning_job_id"
    )
    return job


def get_job(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    """``GET /fine_tuning/jobs/{fine_tuning_job_id}``: move the job one step on, and return it.

    Args:
        defaults: The fake's state.
        params: ``fine_tuning_job_id``.

    Raises:
        BadRequest: An unknown job (404).
    """
    job = _job(defaults, params["fine_tuning_job_id"])
    job.advance(defaults)
    return JsonBody(job.to_json())


def list_jobs(defaults: Store, request: FakeRequest, _: Mapping[str, str]) -> Body:
    """``GET /fine_tuning/jobs``: the jobs, newest first, a page at a time (``after``, ``limit``).

    Args:
        defaults: The fake's state.
        request: The request.

    Raises:
        BadRequest: An unknown ``after`` (404), a ``limit`` out of 1..100.
    """
    jobs = [job.to_json() for job in reversed(defaults.fine_tuning_jobs.values())]
    return JsonBody(list_page(request, jobs, noun="FineTuningJob"))


def list_job_events(defaults: Store, request: FakeRequest, params: Mapping[str, str]) -> Body:
    """``GET /fine_tuning/jobs/{fine_tuning_job_id}/events``: the job's events, newest first.

    Args:
        defaults: The fake's state.
        request: The request (``after``, ``limit``).
        params: ``fine_tuning_job_id``.

    Raises:
        BadRequest: An unknown job or ``after`` (404), a ``limit`` out of 1..100.
    """
    job = _job(defaults, params["fine_tuning_job_id"])
    events = list(reversed(job.events))
    return JsonBody(list_page(request, events, noun="FineTuningJobEvent"))


def cancel_job(defaults: Store, _: FakeRequest, params: Mapping[str, str]) -> Body:
    """``POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel``: cancel a job that has not ended.

    Args:
        defaults: The fake's state.
        params: ``fine_tuning_job_id``.

    Raises:
        BadRequest: An unknown job (404), or one that already ended.
    """
    job = _job(defaults, params["fine_tuning_job_id"])
    job.cancel(defaults)
    return JsonBody(job.to_json())
