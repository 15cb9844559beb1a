//! Loading ONNX Runtime and the two hand models, and running them on f32
//! tensors.
//!
//! ONNX Runtime is loaded at run time (`ort`'s `load-dynamic`) from a path
//! the app gives or from `ORT_DYLIB_PATH`, so the build never downloads or
//! links it, and a machine without it still runs the app (minus hands).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;

use super::HandsError;

/// Side of the palm detector's square input (lite and full models).
pub const PALM_INPUT: usize = 192;
/// Side of the landmark model's square input.
pub const LANDMARK_INPUT: usize = 224;
/// Number of SSD anchors the palm detector scores (24*24*2 + 12*12*6).
pub const PALM_ANCHORS: usize = 2016;
/// Values per anchor: box (4) and 7 keypoints (x, y).
pub const PALM_VALUES: usize = 18;

/// The loaded runtime: kept for the life of the process, as ONNX Runtime
/// allows one environment per process.
static ENVIRONMENT: Mutex<Option<ort::environment::Environment>> = Mutex::new(None);

/// Where to find ONNX Runtime and the converted models.
#[derive(Debug, Clone)]
pub struct ModelPaths {
    /// `libonnxruntime.so`; `None` uses the `ORT_DYLIB_PATH` environment variable.
    pub onnxruntime: Option<PathBuf>,
    /// Palm detector, e.g. `palm_detection_lite.onnx`.
    pub palm: PathBuf,
    /// Landmark model, e.g. `hand_landmark_lite.onnx`.
    pub landmark: PathBuf,
}

impl ModelPaths {
    /// The files `fetch_hand_models.sh DIR` writes: the lite models, or the full ones.
    pub fn in_dir(dir: &Path, full: bool) -> Self {
        let lib = dir.join("libonnxruntime.so");
        let variant = if full { "full" } else { "lite" };
        Self {
            // The fetched library wins; otherwise fall back to ORT_DYLIB_PATH.
            onnxruntime: lib.exists().then_some(lib),
            palm: dir.join(format!("palm_detection_{variant}.onnx")),
            landmark: dir.join(format!("hand_landmark_{variant}.onnx")),
        }
    }
}

/// Loads ONNX Runtime once per process (later calls reuse it) and returns
/// its environment.
pub fn init_runtime(dylib: Option<&Path>) -> Result<ort::environment::Environment, HandsError> {
    let mut env = ENVIRONMENT
        .lock()
        .map_err(|_| HandsError::Runtime("runtime lock poisoned".into()))?;
    if let Some(existing) = env.as_ref() {
        return Ok(existing.clone());
    }
    let path = match dylib {
        Some(p) => p.to_path_buf(),
        None => std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from).ok_or_else(|| {
            HandsError::Runtime(
                "no libonnxruntime.so given and ORT_DYLIB_PATH is not set \
                     (run fetch_hand_models.sh)"
                    .into(),
            )
        })?,
    };
    // Check first: ort would otherwise report a less direct dlopen error.
    if !path.is_file() {
        return Err(HandsError::Runtime(format!("{} does not exist", path.display())));
    }
    let built = ort::init_from(&path)
        .map_err(|e| HandsError::Runtime(format!("cannot load {}: {e}", path.display())))?
        .with_name("phosphene-hands")
        .with_telemetry(false)
        .build()
        .map_err(|e| HandsError::Runtime(format!("{}: {e}", path.display())))?;
    *env = Some(built.clone());
    Ok(built)
}

/// Loads ONNX Runtime as `paths` say and returns its build description
/// (version, commit), for logs and benches.
pub fn runtime_info_after(paths: &ModelPaths) -> Result<String, HandsError> {
    init_runtime(paths.onnxruntime.as_deref())?;
    Ok(ort::info().to_string())
}

/// The palm detector and landmark model, ready to run.
pub struct HandModels {
    palm: Session,
    landmark: Session,
}

/// Raw landmark model outputs for one ROI.
#[derive(Debug, Clone)]
pub struct LandmarkOutput {
    /// 21 x (x, y, z), x/y in pixels of the 224x224 crop.
    pub landmarks: Vec<f32>,
    /// Probability that a hand is in the crop.
    pub presence: f32,
    /// The handedness score: MediaPipe labels it "Left" under its
    /// mirrored-input convention, so it is the probability of a right hand
    /// in an unmirrored camera frame.
    pub handedness: f32,
}

fn open_session(env: &ort::environment::Environment, path: &Path, threads: usize) -> Result<Session, HandsError> {
    if !path.is_file() {
        return Err(HandsError::Model(format!(
            "{} does not exist (run fetch_hand_models.sh)",
            path.display()
        )));
    }
    let err = |e: String| HandsError::Model(format!("{}: {e}", path.display()));
    Session::builder(env)
        .map_err(|e| err(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| err(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| err(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| err(e.to_string()))
}

fn run(session: &mut Session, input: Vec<f32>, side: usize) -> Result<Vec<Vec<f32>>, HandsError> {
    let tensor =
        Tensor::from_array(([1usize, 3, side, side], input)).map_err(|e| HandsError::Inference(e.to_string()))?;
    let outputs = session
        .run(ort::inputs!["input" => tensor])
        .map_err(|e| HandsError::Inference(e.to_string()))?;
    outputs
        .iter()
        .map(|(_, value)| {
            value
                .try_extract_tensor::<f32>()
                .map(|(_, data)| data.to_vec())
                .map_err(|e| HandsError::Inference(e.to_string()))
        })
        .collect()
}

impl HandModels {
    /// Loads ONNX Runtime (if not yet loaded) and both models; `threads` is
    /// ONNX Runtime's intra-op thread count (1 leaves the other cores to the app).
    pub fn load(paths: &ModelPaths, threads: usize) -> Result<Self, HandsError> {
        // Missing files are said before the runtime is looked for: the likelier trouble.
        if let Some(p) = [&paths.palm, &paths.landmark].into_iter().find(|p| !p.is_file()) {
            return Err(HandsError::Model(format!("{}: no such file", p.display())));
        }
        let env = init_runtime(paths.onnxruntime.as_deref())?;
        let threads = threads.max(1);
        let models = Self {
            palm: open_session(&env, &paths.palm, threads)?,
            landmark: open_session(&env, &paths.landmark, threads)?,
        };
        check_io(&models.palm, &paths.palm, 2)?;
        check_io(&models.landmark, &paths.landmark, 4)?;
        Ok(models)
    }

    /// Runs the palm detector on a `[1, 3, 192, 192]` NCHW tensor (0..1).
    /// Returns (regressors `2016 x 18`, raw scores `2016`).
    pub fn run_palm(&mut self, input: Vec<f32>) -> Result<(Vec<f32>, Vec<f32>), HandsError> {
        let mut out = run(&mut self.palm, input, PALM_INPUT)?;
        if out.len() != 2 || out[0].len() != PALM_ANCHORS * PALM_VALUES || out[1].len() != PALM_ANCHORS {
            return Err(HandsError::Inference(
                "palm detector output has an unexpected shape".into(),
            ));
        }
        let scores = out.pop().unwrap_or_default();
        let boxes = out.pop().unwrap_or_default();
        Ok((boxes, scores))
    }

    /// Runs the landmark model on a `[1, 3, 224, 224]` NCHW tensor (0..1).
    pub fn run_landmarks(&mut self, input: Vec<f32>) -> Result<LandmarkOutput, HandsError> {
        let out = run(&mut self.landmark, input, LANDMARK_INPUT)?;
        // Output order (as in MediaPipe's graph): landmarks, hand presence,
        // handedness, world landmarks; both scores are already sigmoids.
        match out.as_slice() {
            [lm, presence, hand, _world] if lm.len() == 63 && presence.len() == 1 && hand.len() == 1 => {
                Ok(LandmarkOutput {
                    landmarks: lm.clone(),
                    presence: presence[0],
                    handedness: hand[0],
                })
            }
            _ => Err(HandsError::Inference(
                "landmark model output has an unexpected shape".into(),
            )),
        }
    }
}

fn check_io(session: &Session, path: &Path, outputs: usize) -> Result<(), HandsError> {
    let input_ok = session.inputs().len() == 1 && session.inputs()[0].name() == "input";
    if !input_ok || session.outputs().len() != outputs {
        return Err(HandsError::Model(format!(
            "{}: expected one input named 'input' and {outputs} outputs",
            path.display()
        )));
    }
    Ok(())
}
