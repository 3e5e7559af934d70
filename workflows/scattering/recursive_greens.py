"""Recursive Green's functions of a block-tridiagonal matrix: diagonal blocks and G X G† in O(n).

For A = E − H − Σ in block-tridiagonal form (slices 0 … n−1, blocks A_ij
with |i − j| ≤ 1) and G = A⁻¹, the left-connected Green's functions

    g_0 = A_00⁻¹,     g_i = (A_ii − A_{i,i−1} g_{i−1} A_{i−1,i})⁻¹,

and the backward recursion for the diagonal blocks

    G_{n−1,n−1} = g_{n−1},     G_ii = g_i + g_i A_{i,i+1} G_{i+1,i+1} A_{i+1,i} g_i,

give every G_ii in time and memory linear in n (Lake, Klimeck, Bowen and
Jovanovic, J. Appl. Phys. 81, 7845 (1997), Sec. III; Anantram, Lundstrom and
Nikonov, Proc. IEEE 96, 1511 (2008), Sec. IV).  Off the diagonal,

    G_ij = G_ii (−A_{i,i−1} g_{i−1}) ⋯ (−A_{j+1,j} g_j)          (j < i),
    G_ij = (−g_i A_{i,i+1}) G_{i+1,j}                            (j > i),

so for a block-diagonal X the diagonal blocks of G X G† — the electron
correlation function G^n = G Σ^in G† of NEGF with in-scattering Σ^in = X —
follow from one forward and one backward sweep:

    (G X G†)_ii = G_ii S_i G_ii† + U_i,
    S_0 = 0,   S_i = L_i (X_{i−1} + S_{i−1}) L_i†,          L_i = A_{i,i−1} g_{i−1},
    U_{n−1} = G X G†|_{n−1},  U_i = G_ii X_i G_ii† + P_i U_{i+1} P_i†,   P_i = g_i A_{i,i+1},

and likewise (G† Y G)_ii = G_ii† (Y_i + V_i) G_ii + W_i with
V_i = P_{i−1}† (Y_{i−1} + V_{i−1}) P_{i−1} and
W_i = L_{i+1}† (G_{i+1,i+1}† Y_{i+1} G_{i+1,i+1} + W_{i+1}) L_{i+1}.
Only left-connected functions are used, so every inverse is that of an
open system (coupled to the lead in slice 0).  Each sweep costs O(Σ w_i³)
for slices of w_i orbitals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg

__all__ = ["RecursiveGreens", "block_tridiagonal_blocks"]


def _inv(block: np.ndarray) -> np.ndarray:
    return scipy.linalg.inv(block, overwrite_a=True, check_finite=False)


class RecursiveGreens:
    """Diagonal and next-to-diagonal blocks of G = A⁻¹ for block-tridiagonal A.

    Parameters
    ----------
    diagonal
        Blocks A_ii (dense, w_i × w_i).
    upper
        Blocks A_{i,i+1} (w_i × w_{i+1}), n − 1 of them.
    lower
        Blocks A_{i+1,i} (w_{i+1} × w_i), n − 1 of them.

    Attributes
    ----------
    diagonal
        The blocks G_ii.
    """

    def __init__(
        self,
        diagonal: Sequence[np.ndarray],
        upper: Sequence[np.ndarray],
        lower: Sequence[np.ndarray],
    ):
        n = len(diagonal)
        if len(upper) != n - 1 or len(lower) != n - 1:
            raise ValueError("need n diagonal and n − 1 upper and lower blocks")
        g = [None] * n
        g[0] = _inv(np.array(diagonal[0], dtype=complex))
        for i in range(1, n):
            g[i] = _inv(diagonal[i] - lower[i - 1] @ g[i - 1] @ upper[i - 1])
        # P_i = g_i A_{i,i+1}; L_{i+1} = A_{i+1,i} g_i (stored at index i).
        self._p = [g[i] @ upper[i] for i in range(n - 1)]
        self._l = [lower[i] @ g[i] for i in range(n - 1)]
        for i in range(n - 2, -1, -1):  # g_i becomes G_ii, in place
            g[i] = g[i] + self._p[i] @ g[i + 1] @ self._l[i]
        self.diagonal = g

    @classmethod
    def from_matrix(cls, matrix, offsets: np.ndarray) -> RecursiveGreens:
        """The recursion for a block-tridiagonal sparse ``matrix`` (block_tridiagonal_blocks)."""
        return cls(*block_tridiagonal_blocks(matrix, offsets))

    def __len__(self) -> int:
        return len(self.diagonal)

    @property
    def right_factors(self) -> list[np.ndarray]:
        """P_i = g_i A_{i,i+1} (i = 0 … n−2), g_i the left-connected Green's functions."""
        return self._p

    @property
    def left_factors(self) -> list[np.ndarray]:
        """L_{i+1} = A_{i+1,i} g_i, stored at index i (i = 0 … n−2)."""
        return self._l

    def first_column_blocks(self) -> list[np.ndarray]:
        """G_{i,0} for every slice i: G_ii Q_i, Q_0 = 1, Q_i = −L_i Q_{i−1} (w_i × w_0 each)."""
        n = len(self.diagonal)
        q = np.eye(self.diagonal[0].shape[0], dtype=complex)
        blocks = [self.diagonal[0]]
        for i in range(1, n):
            q = -self._l[i - 1] @ q
            blocks.append(self.diagonal[i] @ q)
        return blocks

    def last_column_blocks(self) -> list[np.ndarray]:
        """G_{i,n−1} for every slice i: G_{i,n−1} = −P_i G_{i+1,n−1} (w_i × w_{n−1} each)."""
        n = len(self.diagonal)
        blocks = [None] * n
        blocks[n - 1] = self.diagonal[n - 1]
        for i in range(n - 2, -1, -1):
            blocks[i] = -self._p[i] @ blocks[i + 1]
        return blocks

    def upper(self, i: int) -> np.ndarray:
        """G_{i,i+1} = −g_i A_{i,i+1} G_{i+1,i+1}."""
        return -self._p[i] @ self.diagonal[i + 1]

    def lower(self, i: int) -> np.ndarray:
        """G_{i+1,i} = −G_{i+1,i+1} A_{i+1,i} g_i."""
        return -self.diagonal[i + 1] @ self._l[i]

    def sandwich(self, blocks: Sequence[np.ndarray | None], *, adjoint: bool = False) -> list:
        """Diagonal blocks of G X G† (or of G† X G with ``adjoint=True``).

        Parameters
        ----------
        blocks
            The diagonal blocks X_i of a block-diagonal X: each a (w_i, w_i)
            matrix, a length-w_i vector (a diagonal block) or None (zero).

        Returns
        -------
        list of numpy.ndarray
            The (w_i, w_i) diagonal blocks of G X G† (or G† X G).
        """
        n = len(self.diagonal)
        if len(blocks) != n:
            raise ValueError(f"need {n} blocks, got {len(blocks)}")
        gd, p, l_ = self.diagonal, self._p, self._l
        forward = _forward_adjoint if adjoint else _forward
        inner = [_dense(blocks[i], gd[i].shape[0]) for i in range(n)]
        # Sum over j < i (forward) and j > i (backward).
        below = [None] * n
        running = None
        for i in range(1, n):
            running = forward(inner[i - 1], running, p[i - 1], l_[i - 1])
            below[i] = running
        result = [None] * n
        above = None
        for i in range(n - 1, -1, -1):
            if i < n - 1:
                above = (
                    _backward_adjoint(inner[i + 1], above, gd[i + 1], l_[i])
                    if adjoint
                    else _backward(inner[i + 1], above, p[i], gd[i + 1])
                )
            result[i] = _centre(gd[i], inner[i], below[i], above, adjoint)
        return result


def block_tridiagonal_blocks(matrix, offsets: np.ndarray) -> tuple[list, list, list]:
    """Dense blocks (A_ii, A_{i,i+1}, A_{i+1,i}) of a sparse block-tridiagonal ``matrix``.

    The three lists :class:`RecursiveGreens` takes.  ``matrix`` (any SciPy
    sparse format) must already be in slice order, with slice boundaries
    ``offsets``; entries between slices that are not adjacent are not looked at.
    """
    matrix = matrix.tocsr()
    n = len(offsets) - 1
    diagonal, upper, lower = [], [], []
    for i in range(n):
        rows = matrix[offsets[i] : offsets[i + 1]]
        diagonal.append(rows[:, offsets[i] : offsets[i + 1]].toarray())
        if i < n - 1:
            upper.append(rows[:, offsets[i + 1] : offsets[i + 2]].toarray())
            lower.append(
                matrix[offsets[i + 1] : offsets[i + 2], offsets[i] : offsets[i + 1]].toarray()
            )
    return diagonal, upper, lower


def _dense(block, width: int):
    if block is None:
        return None
    block = np.asarray(block)
    return np.diag(block) if block.ndim == 1 else block


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _forward(x_prev, s_prev, _p_prev, l_prev):
    """S_i = L_i (X_{i−1} + S_{i−1}) L_i†."""
    inner = _add(x_prev, s_prev)
    return None if inner is None else l_prev @ inner @ l_prev.conj().T


def _forward_adjoint(y_prev, v_prev, p_prev, _l_prev):
    """V_i = P_{i−1}† (Y_{i−1} + V_{i−1}) P_{i−1}."""
    inner = _add(y_prev, v_prev)
    return None if inner is None else p_prev.conj().T @ inner @ p_prev


def _backward(x_next, u_next_rest, p_i, g_next):
    """Σ_{j>i} G_ij X_j G_ij† = P_i U_{i+1} P_i†, U_{i+1} = G X_{i+1} G† + its own part above.

    ``u_next_rest`` is Σ_{j>i+1} G_{i+1,j} X_j G_{i+1,j}†.
    """
    own = None if x_next is None else g_next @ x_next @ g_next.conj().T
    u_next = _add(own, u_next_rest)
    return None if u_next is None else p_i @ u_next @ p_i.conj().T


def _backward_adjoint(y_next, w_next, g_next, l_i):
    """W_i = L_{i+1}† (G_{i+1,i+1}† Y_{i+1} G_{i+1,i+1} + W_{i+1}) L_{i+1}."""
    own = None if y_next is None else g_next.conj().T @ y_next @ g_next
    inner = _add(own, w_next)
    return None if inner is None else l_i.conj().T @ inner @ l_i


def _centre(g, x, below, above, adjoint):
    inner = _add(x, below)
    if inner is None:
        centre = None
    elif adjoint:
        centre = g.conj().T @ inner @ g
    else:
        centre = g @ inner @ g.conj().T
    if centre is None and above is None:
        return np.zeros_like(g)
    return _add(centre, above)


def _plus_diagonal(matrix, vector):
    """matrix + diag(vector) (a new array); matrix may be None."""
    if matrix is None:
        return np.diag(vector.astype(complex))
    result = matrix.copy()
    result[np.diag_indices_from(result)] += vector
    return result


def sandwich_diagonal(greens: RecursiveGreens, vectors: Sequence[np.ndarray]) -> list:
    """The diagonal of G X G† for a diagonal X, slice by slice (a faster ``sandwich``).

    Parameters
    ----------
    greens
        The recursive Green's function.
    vectors
        X's diagonal in each slice (length w_i each).

    Returns
    -------
    list of numpy.ndarray
        The real diagonal of (G X G†)_ii for each slice (X real ⇒ G X G† Hermitian).
    """
    gd, p, l_ = greens.diagonal, greens._p, greens._l
    n = len(gd)
    below = [None] * n
    running = None
    for i in range(1, n):
        inner = _plus_diagonal(running, vectors[i - 1])
        running = l_[i - 1] @ inner @ l_[i - 1].conj().T
        below[i] = running
    result = [None] * n
    above = None
    for i in range(n - 1, -1, -1):
        g = gd[i]
        inner = _plus_diagonal(below[i], vectors[i])
        diagonal = np.einsum("ij,ij->i", g @ inner, g.conj()).real
        if above is not None:
            diagonal += np.diagonal(above).real
        result[i] = diagonal
        if i > 0:
            own = (g * vectors[i]) @ g.conj().T
            u = own if above is None else own + above
            above = p[i - 1] @ u @ p[i - 1].conj().T
    return result
