use super::*;

#[tokio::test]
async fn changes_wait_for_the_keeper_and_pass_once_it_opens() {
    let (gate, keeper) = WriteGate::closed();
    let waiting = gate.pass();
    tokio::pin!(waiting);
    assert!(
        futures::poll!(waiting.as_mut()).is_pending(),
        "a closed gate lets nothing through"
    );
    keeper.open();
    assert!(waiting.await.is_ok());
    drop(keeper);
    assert!(gate.pass().await.is_ok(), "an opened gate stays open");
}

#[tokio::test]
async fn a_keeper_dropped_without_opening_refuses_every_change() {
    let (gate, keeper) = WriteGate::closed();
    drop(keeper);
    let err = gate.pass().await.unwrap_err();
    assert!(err.to_string().contains("not verified"), "{err}");
}
