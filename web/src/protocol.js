// Small extensions of pipecat's browser client for messages a 1.14 server sends that this
// client release (client-js 1.13, websocket-transport 1.7) does not handle itself.

import { PipecatClient } from "@pipecat-ai/client-js";
import { ProtobufFrameSerializer } from "@pipecat-ai/websocket-transport";

/**
 * Protobuf serializer that also understands pipecat's in-band interruption frame.
 *
 * Pipecat 1.14 servers send an ``InterruptionFrame`` (field 5 of ``Frame``) on barge-in, in
 * order with the audio. This client release decodes only audio and message frames and
 * would log "Unknown frame kind" for it (and for text/transcription frames).
 */
const FRAME_TAG = { text: 0x0a, transcription: 0x1a, interruption: 0x2a }; // (field << 3) | 2

export class InterruptionAwareSerializer extends ProtobufFrameSerializer {
  onInterruption = null;

  async deserialize(data) {
    try {
      return await super.deserialize(data);
    } catch (error) {
      if (!(data instanceof Blob)) throw error;
      const [tag] = new Uint8Array(await data.slice(0, 1).arrayBuffer());
      if (tag === FRAME_TAG.interruption) this.onInterruption?.();
      else if (tag !== FRAME_TAG.text && tag !== FRAME_TAG.transcription) throw error;
      return { type: "raw", message: null }; // nothing for the transport to play or dispatch
    }
  }
}

/** PipecatClient that also surfaces RTVI messages newer than this client release. */
export class ConvonetClient extends PipecatClient {
  onBotInterrupted = null;

  handleMessage(message) {
    if (message?.type === "bot-interrupted") this.onBotInterrupted?.();
    super.handleMessage(message);
  }
}
