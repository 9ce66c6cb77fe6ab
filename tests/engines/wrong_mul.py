"""A planted gradient bug: d(a*b)/da is b + 1 instead of b. (Negation is written on its own, so
only multiplication, and division through it, are wrong.)"""

from tinyvalue import Value as _Correct


class Value(_Correct):
    def __mul__(self, other):
        other = self._lift(other)
        return self._node(self.data * other.data, (self, other), (other.data + 1.0, self.data))

    def __neg__(self):
        return self._node(-self.data, (self,), (-1.0,))
