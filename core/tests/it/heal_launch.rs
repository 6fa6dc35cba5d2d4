//! A brick replacement launches a full heal once the new brick is connected: otherwise
//! the files often reach it only at the self-heal daemon's next periodic crawl (up to
//! `cluster.heal-timeout`, 600 s), which the real-node day-2 test ran into.

use brickyard::engine::HealCheck;
use brickyard::executor::Fault;

use crate::harness::*;

/// Position of the first command ending with `suffix`.
fn position(cmds: &[String], suffix: &str) -> Option<usize> {
    cmds.iter().position(|c| c.ends_with(suffix))
}

#[tokio::test]
async fn eviction_launches_the_heal_after_replace_brick() {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let name = v.info.request.name.clone();
    let old = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[0].clone();
    b.mock.mock().clear_commands();
    b.engine.evict_brick(&old, HealCheck::Enable).await.unwrap();
    let cmds: Vec<String> = b.mock.commands().into_iter().map(|(_, c)| c).collect();
    let replace = position(&cmds, "commit force").expect("replace-brick ran");
    let launch = position(&cmds, &format!("volume heal {name} full")).expect("heal launched");
    assert!(launch > replace, "{cmds:#?}");
    assert_eq!(
        cmds[launch],
        format!("gluster --mode=script --timeout=600 volume heal {name} full")
    );
    assert!(b.engine.check().is_ok());
}

// Paused clock: the retries' sleeps pass at once.
#[tokio::test(start_paused = true)]
async fn a_refused_heal_launch_is_retried_and_never_fails_the_eviction() {
    let b = bed(4, 1).await;
    let v = b.engine.create_volume(replica(5, 3)).await.unwrap();
    let name = v.info.request.name.clone();
    let old = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[0].clone();
    // What glusterd answers while the self-heal daemons restart after replace-brick.
    let refused = Fault::Exit {
        status: 1,
        stderr: format!(
            "Launching heal operation to perform full self heal on volume {name} has been unsuccessful:\n\
             Glusterd Syncop Mgmt brick op 'Heal' failed. Please check glustershd log file for details."
        ),
    };
    let suffix = format!("volume heal {name} full");
    let s = suffix.clone();
    b.mock
        .faults()
        .fail_matching(move |_, c| c.ends_with(&s), refused.clone(), true);
    b.mock.mock().clear_commands();
    b.engine.evict_brick(&old, HealCheck::Enable).await.unwrap();
    let launches = b
        .mock
        .commands()
        .into_iter()
        .filter(|(_, c)| c.ends_with(&suffix))
        .count();
    assert_eq!(launches, 1, "the refused launch never reached gluster");
    assert_eq!(b.mock.faults().injected().len(), 1);

    // Refused every time: the eviction still finishes (the heal comes at the next crawl).
    let old = b.engine.state().volumes.get(&v.info.id).unwrap().bricks[1].clone();
    let s = suffix.clone();
    b.mock
        .faults()
        .fail_matching(move |_, c| c.ends_with(&s), refused, false);
    b.engine.evict_brick(&old, HealCheck::Enable).await.unwrap();
    b.mock.faults().clear();
    assert!(!b.engine.state().bricks.contains_key(&old));
    assert!(b.engine.check().is_ok());
}
