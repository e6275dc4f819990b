"""The domains: each subpackage holds everything of one domain behind a ``DOMAIN`` descriptor.

See :mod:`convonet.domains.spec` for the descriptor and :mod:`convonet.domains.registry` for
discovery; ``convonet new-domain NAME`` scaffolds a new one.
"""
