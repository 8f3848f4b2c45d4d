# More wrong inputs for cli_case (2 and 4 ranks, one error line, run directory unchanged): the
# config file and the command line, the run directory and --resume, options out of range.
# Included at the end of tests/cli/CMakeLists.txt; files from make_cli_data.cpp and cli_make_run.
set(T train -q -c good.yaml)

# The config file and the command line.
cli_case(config_is_directory "error: adir.yaml: is a directory, not a config file" train -c adir.yaml)
cli_case(duplicate_key "error: dup.yaml:5: duplicate key 'epochs' \\(also on line 3\\)" train -c dup.yaml)
cli_case(duplicate_layer_key "error: dup_layer.yaml:4: duplicate key 'units' \\(also on line 4\\)" train -c dup_layer.yaml)
cli_case(no_command "error: dptrain: A subcommand is required \\(see 'dptrain --help'\\)")
cli_case(unknown_command "error: dptrain: unknown command 'trian' \\(commands: prepare, train" trian -c good.yaml)
cli_case(unknown_flag "error: dptrain train: The following argument was not expected: --bogus \\(see 'dptrain train --help'\\)"
  ${T} --bogus)
cli_case(config_value_missing "error: dptrain train: --config: 1 required TEXT missing" train --out @RUN@ -c)
cli_case(unknown_set_key "error: --set: unknown config key 'optimizer.lrr' \\(did you mean 'optimizer.lr'\\?\\)"
  ${T} --set optimizer.lrr=0.1)
cli_case(bad_choice "error: --set: optimizer.name = 'adamm' is not valid: must be one of: sgd, adam, adamw"
  ${T} --set optimizer.name=adamm)
cli_case(zero_epochs "error: --set: train.epochs = 0 is out of range: must be >= 1" ${T} --set train.epochs=0)
cli_case(momentum_range "error: --set: optimizer.momentum = 1.5 is out of range: must be \\[0, 1\\]"
  ${T} --set optimizer.momentum=1.5)
cli_case(int_overflow "error: --set: train.batch_size = '1e99' is not a valid int" ${T} --set train.batch_size=1e99)
cli_case(scale_not_float "error: --set: data.scale = 'abc' is not a valid float" ${T} --set data.scale=abc)
cli_case(val_fraction_range "error: --set: data.val_fraction = 0.95 is out of range: must be \\[0, 0.9\\]"
  ${T} --set data.val_fraction=0.95)
cli_case(patience_without_validation
  "error: config: early_stopping.patience = 2 needs a validation split \\(data.val_fraction or data.val_features\\)"
  ${T} --set early_stopping.patience=2)
cli_case(layer_missing_units "model.layers\\[0\\] \\(dense\\): required option 'units' \\(output features\\) is not set"
  ${T} "--set" "model.layers=[{type: dense}]")
cli_case(heartbeat_fraction "error: --set: runtime.heartbeat_timeout = 0.5 is out of range: must be 0 \\(off\\) or at least 1"
  ${T} --set runtime.heartbeat_timeout=0.5)
cli_case(heartbeat_negative "error: --set: runtime.heartbeat_timeout = -1 is out of range: must be >= 0"
  ${T} --set runtime.heartbeat_timeout=-1)
cli_case(keep_zero "error: --set: checkpoint.keep = 0 is out of range: must be >= 1" ${T} --set checkpoint.keep=0)

# The run directory and --resume: refused before anything in it changes.
cli_case(existing_run "error: .*/run-[A-Za-z0-9]+: already holds a run \\(metrics.jsonl, model.h5, checkpoints\\); choose another --out"
  ${T} --out @RUN@)
cli_case(overwrite_with_resume "error: --overwrite and --resume contradict each other" ${T} --out @RUN@ --overwrite --resume auto)
cli_case(out_is_a_file "error: notes.txt: exists and is not a directory: --out names the run directory" ${T} --out notes.txt)
cli_case(resume_missing_file "error: nothere.h5: file not found" ${T} --out @RUN@ --resume nothere.h5)
cli_case(resume_a_directory "error: --resume .*/checkpoints: is a directory: give a checkpoint file"
  ${T} --out @RUN@ --resume @RUN@/checkpoints)
cli_case(resume_not_hdf5 "error: notes.txt: not an HDF5 file" ${T} --out @RUN@ --resume notes.txt)
cli_case(resume_auto_other_model
  "error: .*: --resume auto: no checkpoint can continue the run in this directory \\(.*\\); nothing was changed: start it over with --overwrite, or choose another --out. Rejected: ckpt-.*written for another model"
  ${T} "--set" "model.layers=[{type: dense, units: 5}]")
cli_case(resume_path_other_model "error: .*ckpt-0000000008.h5: written for another model"
  ${T} "--set" "model.layers=[{type: dense, units: 5}]" --out @RUN@ --resume @RUN@/checkpoints/ckpt-0000000008.h5)

# Files given to the other commands.
cli_case(inspect_not_hdf5 "error: notes.txt: not an HDF5 file" inspect notes.txt)
cli_case(checkpoint_as_model "error: .*ckpt-0000000008.h5: not a dptrain model file"
  predict --model @RUN@/checkpoints/ckpt-0000000008.h5 --out p.csv)
cli_case(model_is_directory "error: .*/run-[A-Za-z0-9]+: is a directory, not an HDF5 file" evaluate --model @RUN@)
cli_case(data_file_is_directory "error: adir.yaml: is a directory, not an HDF5 file" ${T} --set data.file=adir.yaml)
cli_case(memory_eval_batch_size
  "error: config: batches of 1000000000000 samples .*train.eval_batch_size.* need [0-9]+ bytes .* are available .*; lower train.eval_batch_size"
  ${T} --set train.eval_batch_size=1000000000000)
