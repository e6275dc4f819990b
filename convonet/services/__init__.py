"""Speech providers: the embedded models and the STT/TTS service factories."""
