"""The development/test SIP server (Kamailio) the call-center softphone registers with."""
