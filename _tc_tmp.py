from trio_openai.types import ChatCompletion, Response, UnknownObject
from trio_openai import types
def f(x: ChatCompletion) -> str | None:
    return x.choices[0].message.content
reveal_type(types.ResponseStreamEvent)
