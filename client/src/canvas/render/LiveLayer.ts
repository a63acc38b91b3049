import { BitmapText, Container, Graphics } from "pixi.js";
import { isShapeTable } from "../../kinds/registry.js";
import type { Camera } from "../scene/camera.js";
import type { SceneModel } from "../scene/SceneModel.js";
import { cursorAlpha, type RemotePeer } from "../live/peers.js";
import { outlineRings } from "../../kinds/draw.js";
import { dashRings, strokeRings, sx, sy } from "./screenShapes.js";
import { darken, STYLE } from "./style.js";
import { labelStyle } from "./labelStyle.js";

/**
 * Other people, drawn in screen space in their colour: cursors with a name tag (fading after a
 * few idle seconds), their selections as dashed outlines, and the shape they are dragging as a
 * solid outline carrying their name. Geometry redraws when people or the camera change; the
 * per-frame work is only the cursors' fade (alpha), with no allocation.
 */
interface CursorSprite {
  readonly root: Container;
  readonly arrow: Graphics;
  readonly plate: Graphics;
  readonly name: BitmapText;
  color: number;
}

export class LiveLayer {
  readonly root = new Container({ label: "live" });
  private readonly outlines = new Graphics();
  private readonly cursors = new Map<number, CursorSprite>();
  private readonly dragLabels: BitmapText[] = [];
  private readonly scratch: number[] = [];
  private peers: readonly RemotePeer[] = [];
  private dirty = true;
  private drawn = true;

  constructor(private readonly scene: SceneModel) {
    this.root.eventMode = "none";
    this.root.addChild(this.outlines);
  }

  setPeers(peers: readonly RemotePeer[]): void {
    this.peers = peers;
    this.dirty = true;
  }

  markDirty(): void {
    this.dirty = true;
  }

  /** Whether some cursor is fading right now (frames must keep rendering until it is gone). */
  animating(now: number): boolean {
    for (const p of this.peers) {
      if (!p.cursor) continue;
      const a = cursorAlpha(now - p.movedAt, STYLE.cursorFadeAfterMs, STYLE.cursorFadeMs);
      if (a > 0 && a < 1) return true;
    }
    return false;
  }

  /** Whether a drawn outline depends on this row (so its geometry change needs a redraw). */
  involves(table: string, id: string): boolean {
    for (const p of this.peers) {
      if (p.dragging && p.dragging.table === table && p.dragging.id === id) return true;
      for (const r of p.selection) if (r.table === table && r.id === id) return true;
    }
    return false;
  }

  draw(cam: Camera, now: number): void {
    if (this.dirty) {
      this.dirty = false;
      // Alone on the record: nothing to redraw on camera moves.
      if (this.peers.length > 0 || this.cursors.size > 0 || this.drawn) this.redraw(cam);
      this.drawn = this.peers.length > 0;
    }
    for (const p of this.peers) {
      const c = this.cursors.get(p.clientId);
      if (c) c.root.alpha = cursorAlpha(now - p.movedAt, STYLE.cursorFadeAfterMs, STYLE.cursorFadeMs);
    }
  }

  private redraw(cam: Camera): void {
    const g = this.outlines.clear();
    let labels = 0;
    const seen = new Set<number>();
    for (const p of this.peers) {
      seen.add(p.clientId);
      for (const r of p.selection) {
        if (!isShapeTable(r.table) || (p.dragging && p.dragging.table === r.table && p.dragging.id === r.id)) continue;
        const item = this.scene.get({ table: r.table, id: r.id });
        if (!item) continue;
        dashRings(g, outlineRings({ cam, tile: item.tile }, item.shape), 2, p.color, this.scratch);
      }
      if (p.dragging && isShapeTable(p.dragging.table)) {
        const item = this.scene.get({ table: p.dragging.table, id: p.dragging.id });
        if (item) {
          strokeRings(g, outlineRings({ cam, tile: item.tile }, item.shape), 2, p.color);
          const label = this.dragLabel(labels++);
          label.text = p.name;
          label.tint = p.color;
          label.position.set(cam.x + item.minX * cam.zoom, cam.y + item.minY * cam.zoom - 2);
          label.visible = true;
        }
      }
      this.placeCursor(p, cam);
    }
    for (let i = labels; i < this.dragLabels.length; i++) (this.dragLabels[i] as BitmapText).visible = false;
    for (const [id, c] of this.cursors) {
      if (seen.has(id)) continue;
      c.root.destroy({ children: true });
      this.cursors.delete(id);
    }
  }

  private placeCursor(p: RemotePeer, cam: Camera): void {
    let c = this.cursors.get(p.clientId);
    const tile = p.cursor ? this.scene.tiles.find((t) => t.id === p.cursor?.viewId) : undefined;
    if (!p.cursor || !tile) {
      if (c) c.root.visible = false;
      return;
    }
    if (!c) {
      const root = new Container();
      const arrow = new Graphics();
      const plate = new Graphics();
      const name = new BitmapText({ text: "", style: labelStyle() });
      name.position.set(14, 20);
      root.addChild(arrow, plate, name);
      this.root.addChild(root);
      c = { root, arrow, plate, name, color: -1 };
      this.cursors.set(p.clientId, c);
    }
    if (c.color !== p.color || c.name.text !== p.name) {
      c.name.text = p.name;
      c.arrow
        .clear()
        .poly([0, 0, 0, 16, 4.5, 12, 8, 19, 10.5, 18, 7, 11, 12, 11], true)
        .fill({ color: p.color })
        .stroke({ width: 1, color: 0x000000 });
      c.plate
        .clear()
        .roundRect(10, 18, c.name.width + 8, c.name.height + 4, 3)
        .fill({ color: darken(p.color, 0.7) });
      c.color = p.color;
    }
    const xf = { cam, tile };
    c.root.position.set(sx(xf, p.cursor.x), sy(xf, p.cursor.y));
    c.root.visible = true;
  }

  private dragLabel(i: number): BitmapText {
    let t = this.dragLabels[i];
    if (!t) {
      t = new BitmapText({ text: "", style: labelStyle() });
      t.anchor.set(0, 1);
      this.dragLabels.push(t);
      this.root.addChild(t);
    }
    return t;
  }

  destroy(): void {
    this.root.destroy({ children: true });
  }
}
