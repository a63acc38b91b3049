/**
 * The WebGL renderer's name (e.g. "ANGLE (…SwiftShader…)"), from a throw-away context, so
 * quality settings can be chosen before the real context is created.
 */
export function probeRenderer(): string {
  const gl = document.createElement("canvas").getContext("webgl2");
  if (!gl) return "";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return name;
}

/**
 * Creates the WebGL2 context Pixi renders with. On software rasterisers (SwiftShader, llvmpipe —
 * headless Chromium, VMs without a GPU) it caps the texture units Pixi batches over at 2: Pixi's
 * batch shader selects the texture with a chain of branches per fragment, which a software
 * rasteriser pays on every pixel (a full-screen image went from ~15 to 60 fps with the cap).
 * Real GPUs keep Pixi's defaults.
 */
export const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software/i;
const SOFTWARE_BATCH_TEXTURES = 2;

export function createGlContext(antialias: boolean): {
  canvas: HTMLCanvasElement;
  context: WebGL2RenderingContext | null;
  rendererName: string;
} {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("webgl2", {
    antialias,
    premultipliedAlpha: true,
    stencil: true,
    preserveDrawingBuffer: false,
    powerPreference: "high-performance",
  });
  if (!context) return { canvas, context: null, rendererName: "unknown (no WebGL2)" };
  const info = context.getExtension("WEBGL_debug_renderer_info");
  const rendererName = String(
    info ? context.getParameter(info.UNMASKED_RENDERER_WEBGL) : context.getParameter(context.RENDERER),
  );
  if (SOFTWARE_RENDERER.test(rendererName)) {
    const original = context.getParameter.bind(context);
    const units = context.MAX_TEXTURE_IMAGE_UNITS;
    // Pixi sizes its batches from this parameter when it initialises (GlLimitsSystem).
    context.getParameter = ((p: GLenum) =>
      p === units
        ? Math.min(Number(original(p)), SOFTWARE_BATCH_TEXTURES)
        : original(p)) as typeof context.getParameter;
  }
  return { canvas, context, rendererName };
}
