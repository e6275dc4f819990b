"""Transfer to a person: the one transfer service, its state machine and phrase detection.

:class:`~convonet.transfer.service.TransferService` is the only implementation of what a
transfer does; the ``transfer_to_agent`` tool and the pipeline's phrase detector both call it.
"""
