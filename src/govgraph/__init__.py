"""governance-graph: the local governance network behind "Party branch + owners' committee +
property management" (党支部+业委会+物业) as a knowledge graph.

Subpackages (kept at the top of the repository, installed under this one import root):
``graph`` (domain and storage), ``loaders`` (data in and out), ``schema`` (GraphQL), ``api``
(web app and CLI).
"""

__version__ = "0.1.0"
