// Whether this browser can play a video, decided before loading it where the codec
// tells, and after trying where only the media element can tell. Either way the
// page says so plainly instead of showing a player that never starts.

/** Codec strings for canPlayType, by ffprobe's codec name; null where no browser plays it. */
const VIDEO_CODECS = {
  h264: { mp4: "avc1.42E01E", webm: null, matroska: "avc1.42E01E" },
  hevc: { mp4: "hvc1.1.6.L93.B0", matroska: "hvc1.1.6.L93.B0" },
  av1: { mp4: "av01.0.05M.08", webm: "av01.0.05M.08", matroska: "av01.0.05M.08" },
  vp9: { mp4: "vp09.00.10.08", webm: "vp9", matroska: "vp9" },
  vp8: { webm: "vp8", matroska: "vp8" },
  theora: { ogg: "theora" },
  mpeg4: { mp4: "mp4v.20.8" },
};

const AUDIO_CODECS = {
  aac: "mp4a.40.2",
  mp3: "mp4a.6B",
  opus: "opus",
  vorbis: "vorbis",
  flac: "flac",
};

/** Names people know codecs by. */
const CODEC_NAMES = {
  prores: "Apple ProRes",
  dnxhd: "Avid DNxHD/DNxHR",
  mpeg2video: "MPEG-2",
  mpeg1video: "MPEG-1",
  mpeg4: "MPEG-4 Part 2",
  h264: "H.264",
  hevc: "HEVC (H.265)",
  mjpeg: "Motion JPEG",
  dvvideo: "DV",
  cfhd: "GoPro CineForm",
  vc1: "VC-1",
  wmv3: "Windows Media Video 9",
  rawvideo: "uncompressed video",
};

/** The container family a browser might play, from ffprobe's format name; null if none. */
function family(container) {
  const names = containerName(container).split(",");
  if (names.includes("webm")) return "webm";
  if (names.includes("matroska")) return "matroska";
  if (names.includes("mp4") || names.includes("mov")) return "mp4";
  if (names.includes("ogg")) return "ogg";
  return null;
}

const FAMILY_TYPES = { mp4: "video/mp4", webm: "video/webm", matroska: "video/x-matroska", ogg: "video/ogg" };

/** ffprobe's format name, whether the API gives it as text or inside a container object. */
export function containerName(container) {
  if (typeof container === "string") return container;
  if (container && typeof container === "object") return String(container.format_name ?? container.name ?? "");
  return "";
}

/** A codec for people: "Apple ProRes (prores)". */
export function codecName(codec) {
  const known = CODEC_NAMES[codec];
  return known ? `${known} (${codec})` : String(codec);
}

/**
 * Whether ``canPlayType`` (the media element's) says this video can play:
 * {playable, type, reason}. ``type`` is what was asked; ``reason`` says why not.
 */
export function playability(video, canPlayType) {
  const kind = family(video.container);
  const codecs = VIDEO_CODECS[video.video_codec];
  if (kind === null) {
    return {
      playable: false,
      type: null,
      reason: `its container (${containerName(video.container) || "unknown"}) is not one a browser plays`,
    };
  }
  const videoCodec = codecs ? codecs[kind] : undefined;
  if (!videoCodec) {
    return {
      playable: false,
      type: null,
      reason: `its video is ${codecName(video.video_codec)}, which browsers do not decode`,
    };
  }
  const audio = video.audio_codec ? AUDIO_CODECS[video.audio_codec] : null;
  const type = `${FAMILY_TYPES[kind]}; codecs="${videoCodec}"`;
  if (canPlayType(type) === "") {
    return {
      playable: false,
      type,
      reason: `this browser does not decode ${codecName(video.video_codec)} video`,
    };
  }
  let note = null;
  if (video.audio_codec && (!audio || canPlayType(`${FAMILY_TYPES[kind]}; codecs="${videoCodec}, ${audio}"`) === "")) {
    note = `Its sound (${video.audio_codec}) may not play in this browser.`;
  }
  return { playable: true, type, reason: null, note };
}

/** What a media element's error code means, for people. */
export function mediaErrorText(error) {
  if (!error) return "the browser stopped playing it";
  switch (error.code) {
    case 1:
      return "playback was stopped";
    case 2:
      return "the file could not be read over the network";
    case 3:
      return "the browser could not decode it";
    case 4:
      return "the browser cannot play this format";
    default:
      return error.message || "the browser stopped playing it";
  }
}
