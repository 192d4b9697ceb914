// A video's technical fields, grouped as an editor reads them: timecode, frame rate,
// picture, colour, audio, file, streams. Pure: no DOM, no network.
//
// The groups take what the API gives. Fields the library does not hold (an older
// server, a file whose probe lacked them) are simply left out, and a group with no
// field left is not shown at all. Fuller metadata (a container section, streams[],
// timecodes, colour) is read where the API puts it, under a few likely names.

import * as format from "./format.js";

function present(value) {
  return value !== null && value !== undefined && value !== "";
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The first of ``names`` that ``source`` holds a value for. */
function pick(source, ...names) {
  if (!isObject(source)) return undefined;
  for (const name of names) if (present(source[name])) return source[name];
  return undefined;
}

/** The first value any of ``sources`` holds under any of ``names``. */
function first(sources, ...names) {
  for (const source of sources) {
    const value = pick(source, ...names);
    if (present(value)) return value;
  }
  return undefined;
}

/** A rate as [numerator, denominator]: from "30000/1001", {numerator, denominator}, or 25. */
export function fraction(value) {
  if (typeof value === "string" && value.includes("/")) {
    const [num, den] = value.split("/").map(Number);
    return num > 0 && den > 0 ? [num, den] : null;
  }
  if (Array.isArray(value) && value.length === 2) return fraction(`${value[0]}/${value[1]}`);
  if (isObject(value)) {
    const num = pick(value, "numerator", "num");
    const den = pick(value, "denominator", "den");
    return present(num) && present(den) ? fraction(`${num}/${den}`) : null;
  }
  if (typeof value === "number" && value > 0) return [value, 1];
  return null;
}

/** "29.97 fps (30000/1001)", or "25 fps" for a whole rate. */
export function rateText(value) {
  const parts = fraction(value);
  if (parts === null) return undefined;
  const [num, den] = parts;
  const decimal = `${format.frameRate(num, den)} fps`;
  return den === 1 || num % den === 0 ? decimal : `${decimal} (${num}/${den})`;
}

function yesNo(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  return undefined;
}

function kind(stream) {
  return pick(stream, "type", "codec_type", "kind");
}

function text(value) {
  if (!present(value)) return undefined;
  if (Array.isArray(value)) return value.join(", ");
  if (isObject(value)) return undefined;
  return String(value);
}

function row(label, value, title) {
  const shown = text(value);
  return shown === undefined ? null : { label, value: shown, title: title ?? null };
}

function group(id, title, rows) {
  const kept = rows.filter((item) => item !== null);
  return kept.length > 0 ? { id, title, rows: kept } : null;
}

function bitRate(value) {
  const bits = Number(value);
  if (!Number.isFinite(bits) || bits <= 0) return undefined;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)} Mb/s`;
  return `${Math.round(bits / 1e3)} kb/s`;
}

function sampleRate(value) {
  const hz = Number(value);
  if (!Number.isFinite(hz) || hz <= 0) return undefined;
  return `${Number((hz / 1000).toFixed(3))} kHz`;
}

function timecodeOf(video, container, primary, which) {
  const nested = isObject(video.timecode) ? video.timecode : {};
  if (which === "start") {
    return first(
      [nested, video, container, primary],
      "start",
      "start_timecode",
      "timecode_start",
      "timecode",
    );
  }
  return first([nested, video], "end", "end_timecode", "timecode_end");
}

/** The groups of facts for ``video``: [{id, title, rows: [{label, value, title}], streams?}]. */
export function describe(video) {
  const streams = Array.isArray(video.streams) ? video.streams : [];
  const videoStream = streams.find((stream) => kind(stream) === "video") ?? {};
  const audioStreams = streams.filter((stream) => kind(stream) === "audio");
  const audioStream = audioStreams[0] ?? {};
  const container = isObject(video.container) ? video.container : isObject(video.format) ? video.format : {};
  const colour = isObject(video.colour) ? video.colour : isObject(video.color) ? video.color : {};
  const pictureSources = [videoStream, video];
  const colourSources = [colour, videoStream, video];

  const numerator = video.frame_rate_numerator;
  const denominator = video.frame_rate_denominator;
  const nominal = rateText(first([videoStream], "r_frame_rate") ?? (numerator > 0 ? `${numerator}/${denominator}` : null));
  const average = rateText(first([videoStream, video], "avg_frame_rate", "average_frame_rate"));
  const fieldOrder = first(pictureSources, "field_order");
  const interlaced = first(pictureSources, "interlaced");
  let scan;
  if (present(fieldOrder)) {
    scan = fieldOrder === "progressive" ? "progressive" : `interlaced (${fieldOrder})`;
  } else if (interlaced === true) scan = "interlaced";
  else if (interlaced === false) scan = "progressive";

  const width = first(pictureSources, "width");
  const height = first(pictureSources, "height");
  const displayWidth = first(pictureSources, "display_width");
  const displayHeight = first(pictureSources, "display_height");
  const rotation = first(pictureSources, "rotation");
  const hdr = first(colourSources, "hdr", "hdr_format");

  const audioCodec = first([audioStream], "codec", "codec_name") ?? video.audio_codec;
  const channels = first([audioStream, video], "channels", "audio_channels");
  const layout = first([audioStream, video], "channel_layout", "audio_channel_layout");
  const noAudio = !present(audioCodec) && audioStreams.length === 0;

  const groups = [
    group("timecode", "Timecode", [
      row("Start", timecodeOf(video, container, videoStream, "start")),
      row("End", timecodeOf(video, container, videoStream, "end")),
      row(
        "Duration",
        Number.isInteger(video.duration_frames)
          ? format.timecode(video.duration_frames, numerator, denominator)
          : undefined,
        Number.isInteger(video.duration_frames) ? `${video.duration_frames} frames` : null,
      ),
      row("Frames", video.duration_frames),
      row(
        "Seconds",
        Number.isFinite(video.duration_seconds) ? video.duration_seconds.toFixed(3) : undefined,
      ),
    ]),
    group("rate", "Frame rate", [
      row("Rate", nominal),
      row("Average rate", average !== nominal ? average : undefined),
      row("Variable frame rate", yesNo(first([video, videoStream], "vfr", "variable_frame_rate"))),
      row("Scan", scan),
    ]),
    group("picture", "Picture", [
      row("Codec", [first([videoStream], "codec", "codec_name") ?? video.video_codec, first([videoStream, video], "profile", "video_profile")].filter(present).join(", ")),
      row("Size", present(width) && present(height) ? format.resolution(width, height) : undefined),
      row(
        "Display size",
        present(displayWidth) && present(displayHeight) && (displayWidth !== width || displayHeight !== height)
          ? format.resolution(displayWidth, displayHeight)
          : undefined,
      ),
      row("Display aspect ratio", first(pictureSources, "display_aspect_ratio")),
      row("Sample aspect ratio", first(pictureSources, "sample_aspect_ratio")),
      row("Rotation", present(rotation) && Number(rotation) !== 0 ? `${rotation}°` : undefined),
      row("Pixel format", first(pictureSources, "pix_fmt", "pixel_format")),
      row("Bit depth", present(first(pictureSources, "bit_depth")) ? `${first(pictureSources, "bit_depth")} bit` : undefined),
      row("Chroma subsampling", first(pictureSources, "chroma_subsampling", "chroma")),
    ]),
    group("colour", "Colour", [
      row("HDR", typeof hdr === "boolean" ? yesNo(hdr) : hdr),
      row("Range", first(colourSources, "color_range", "colour_range", "range")),
      row("Space", first(colourSources, "color_space", "colour_space", "space", "matrix")),
      row("Primaries", first(colourSources, "color_primaries", "colour_primaries", "primaries")),
      row("Transfer", first(colourSources, "color_transfer", "colour_transfer", "transfer")),
    ]),
    group("audio", "Audio", [
      row("Codec", noAudio ? "no audio" : audioCodec),
      row("Streams", audioStreams.length > 1 ? audioStreams.length : undefined),
      row("Channels", channels),
      row("Layout", layout),
      row("Sample rate", sampleRate(first([audioStream, video], "sample_rate", "audio_sample_rate"))),
      row("Sample format", first([audioStream], "sample_fmt", "sample_format")),
      row("Bit rate", bitRate(first([audioStream], "bit_rate"))),
      row("Language", first([audioStream], "language")),
    ]),
    group("file", "File", [
      row("Container", first([container], "format_long_name", "long_name", "name", "format_name") ?? text(video.container)),
      row("Size", Number.isFinite(video.file_size) ? format.bytes(video.file_size) : undefined, Number.isFinite(video.file_size) ? `${video.file_size.toLocaleString()} bytes` : null),
      row("Bit rate", bitRate(first([container, video], "bit_rate"))),
      row("Start time", first([container], "start_time")),
      row("Created", first([container, video], "creation_time")),
      row("Encoder", first([container, video], "encoder")),
      row("Make", first([container, video], "make")),
      row("Model", first([container, video], "model")),
    ]),
    group("library", "In the library", [
      row("Added", format.localTime(video.created_at)),
      row("Updated", format.localTime(video.updated_at)),
      row("Probed", format.localTime(video.probed_at)),
      row("Missing since", video.missing ? format.localTime(video.missing_since) || "the latest scan" : undefined),
      row("Id", video.id),
    ]),
  ].filter((item) => item !== null);

  if (streams.length > 0) {
    groups.push({
      id: "streams",
      title: "Streams",
      rows: [],
      streams: streams.map((stream, index) => describeStream(stream, index)),
    });
  }
  return groups;
}

/** One stream in a line: {index, type, codec, details}. */
export function describeStream(stream, index) {
  const type = kind(stream) ?? "?";
  const codec = [pick(stream, "codec", "codec_name"), pick(stream, "profile")].filter(present).join(", ");
  const details = [];
  if (type === "video") {
    const width = pick(stream, "width");
    const height = pick(stream, "height");
    if (present(width) && present(height)) details.push(format.resolution(width, height));
    const rate = rateText(pick(stream, "r_frame_rate", "frame_rate"));
    if (rate) details.push(rate);
    for (const name of ["pix_fmt", "pixel_format", "field_order", "color_transfer"]) {
      const value = pick(stream, name);
      if (present(value)) details.push(String(value));
    }
  } else if (type === "audio") {
    const layout = pick(stream, "channel_layout");
    const channels = pick(stream, "channels");
    if (present(layout)) details.push(String(layout));
    else if (present(channels)) details.push(format.count(channels, "channel"));
    const hz = sampleRate(pick(stream, "sample_rate"));
    if (hz) details.push(hz);
  }
  const language = pick(stream, "language");
  if (present(language)) details.push(String(language));
  return { index: pick(stream, "index") ?? index, type, codec, details: details.join(" · ") };
}
