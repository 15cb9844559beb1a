//! The control window with the demo set, rendered for real under Xvfb with Mesa's software
//! Vulkan (lavapipe), saved as a PNG, and checked: decks with waveforms, the mixer, the
//! library. The PNG is kept in `target/artifacts/` (CI uploads it).

mod common;
use common::live::LiveProcess;
use common::xvfb::Xvfb;
use common::*;

use std::path::Path;
use std::process::Command;

/// Width and height of the control window.
const SIZE: (u32, u32) = (1600, 900);

fn decode(path: &Path) -> (Vec<u8>, u32, u32, usize) {
    let file = std::fs::File::open(path).expect("screenshot exists");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    buf.truncate(info.buffer_size());
    (buf, info.width, info.height, info.color_type.samples())
}

/// Runs the app on the null output under a fresh Xvfb until it has saved the control window
/// to `shot` (it quits by itself then), with `more` adding arguments.
fn screenshot(dir: &Path, shot: &Path, more: impl FnOnce(&mut Command)) -> common::live::Finished {
    let runtime = dir.join("xdg");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    let x = Xvfb::start();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phosphene"));
    cmd.args(["--audio", "null", "--no-record", "--screenshot"])
        .arg(shot)
        .env("DISPLAY", x.display())
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", &runtime)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    more(&mut cmd);
    let out = LiveProcess::spawn(&mut cmd).finish();
    drop(x);
    out
}

#[test]
fn the_camera_window_opens_over_the_control_window_with_a_file_as_the_camera() {
    let dir = temp_dir("screenshot-camera");
    let shot = dir.join("camera-window.png");
    let clip = dir.join("room.y4m");
    // A grey room, two seconds: enough for a picture in the preview.
    let mut y4m = b"YUV4MPEG2 W160 H120 F30:1 C420jpeg\n".to_vec();
    for i in 0..60u8 {
        y4m.extend_from_slice(b"FRAME\n");
        y4m.extend(std::iter::repeat_n(60 + i, 160 * 120));
        y4m.extend(std::iter::repeat_n(128, 2 * 80 * 60));
    }
    std::fs::write(&clip, y4m).expect("write clip");
    let out = screenshot(&dir, &shot, |cmd| {
        cmd.args(["--projector", "off", "--hands", "off", "--camera"])
            .arg(&clip);
    });
    assert!(out.status.success(), "{}", out.stderr);
    let (pixels, w, h, channels) = decode(&shot);
    assert_eq!((w, h), SIZE);
    // The preview (top left, under the window's status lines) shows the grey room.
    let grey = (150..300)
        .flat_map(|y| (40..400).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = (y * w as usize + x) * channels;
            let p = &pixels[i..i + 3];
            let (max, min) = (*p.iter().max().unwrap_or(&0), *p.iter().min().unwrap_or(&0));
            (55..=125).contains(&min) && max - min < 8
        })
        .count();
    assert!(
        grey > 20_000,
        "the camera's picture shows in its window: {grey} grey pixels"
    );
}

#[test]
fn control_window_shows_decks_waveforms_mixer_and_visuals() {
    let dir = temp_dir("screenshot");
    let shot = dir.join("control-window.png");
    let out = screenshot(&dir, &shot, |_| {});
    let stderr = out.stderr;
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Phosphene projector"),
        "the projector window opens:\n{stderr}"
    );

    let (pixels, w, h, channels) = decode(&shot);
    assert_eq!((w, h), SIZE);
    let at = |x: u32, y: u32| {
        let i = (y as usize * w as usize + x as usize) * channels;
        [pixels[i], pixels[i + 1], pixels[i + 2]]
    };
    // Waveform columns are bright and saturated; count them in each deck's quarter.
    let waveform = |p: [u8; 3]| {
        let (max, min) = (*p.iter().max().unwrap_or(&0), *p.iter().min().unwrap_or(&0));
        max > 150 && max - min > 80
    };
    let count = |x0: u32, x1: u32, y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| waveform(at(x, y)))
            .count()
    };
    // Decks fill what the mixer (260 px) and the visuals panel (330 px) leave.
    let deck_w = (w - 260 - 330) / 2;
    for (name, x0, y0) in [
        ("deck 1", 0, 40),
        ("deck 2", deck_w, 40),
        ("deck 3", 0, 440),
        ("deck 4", deck_w, 440),
    ] {
        let n = count(x0, x0 + deck_w, y0, y0 + 160);
        assert!(n > 5_000, "{name} shows its waveforms: {n} waveform pixels");
    }
    // The mixer strip on the right is drawn (faders and text, not an empty panel).
    let mixer_lit = (40..400)
        .flat_map(|y| (w - 250..w).map(move |x| (x, y)))
        .filter(|&(x, y)| at(x, y).iter().any(|&c| c > 120))
        .count();
    assert!(mixer_lit > 500, "mixer visible: {mixer_lit} bright pixels");
    // The visuals preview, at the top of its panel, shows a lit scene.
    let preview_lit = (60..220)
        .flat_map(|y| (w - 580..w - 270).map(move |x| (x, y)))
        .filter(|&(x, y)| at(x, y).iter().any(|&c| c > 60))
        .count();
    assert!(preview_lit > 2_000, "visuals preview lit: {preview_lit} pixels");

    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    std::fs::copy(&shot, artifacts.join("control-window.png")).expect("keep the screenshot");
}
