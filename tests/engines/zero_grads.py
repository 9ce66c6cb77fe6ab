"""backward that returns without propagating anything: every gradient stays 0."""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def backward(self):
        pass
